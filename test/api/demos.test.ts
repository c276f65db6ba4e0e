/**
 * The demo pack through HTTP with the statuses the demo index (seed 000) lists, and the
 * concurrency guarantees of simulate's idempotency, on every test backend.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS } from '../support/store.js';
import { demo, startTestApp, type TestApp } from '../support/http.js';

const SIMULATE_DEMOS: [string, string][] = [
  ['01_standard_drift.json', 'READY'],
  ['02_sell_to_fund.json', 'READY'],
  ['03_multi_currency_fx.json', 'READY'],
  ['04_safety_sell_only.json', 'PENDING_REVIEW'],
  ['05_safety_hard_block_price.json', 'BLOCKED'],
  ['06_tax_aware_hifo.json', 'READY'],
  ['07_settlement_overdraft_block.json', 'BLOCKED'],
  ['08_solver_mode.json', 'READY'],
  ['27_dpm_supportability_artifact_flow.json', 'READY'],
];

describe.each(BACKENDS)('demo pack and concurrency (%s)', (backend) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(backend);
  });
  afterAll(async () => t.close());

  it.each(SIMULATE_DEMOS)('%s → %s', async (file, status) => {
    const res = await t.post('/rebalance/simulate', demo(file), { 'Idempotency-Key': `demo-${file}` });
    expect(res.status).toBe(200);
    expect(res.json.status).toBe(status);
  });

  it('09_batch_what_if_analysis.json → mixed statuses by scenario', async () => {
    const res = await t.post('/rebalance/analyze', demo('09_batch_what_if_analysis.json'));
    expect(res.status).toBe(200);
    expect(Object.keys(res.json.results)).toEqual(['baseline', 'settlement_guard', 'tax_budget']);
    expect(res.json.failed_scenarios).toEqual({});
    for (const [name, metric] of Object.entries<any>(res.json.comparison_metrics))
      expect(metric.status).toBe(res.json.results[name].status);
    expect(res.json.results.tax_budget.tax_impact).not.toBeNull();
    expect(res.json.results.settlement_guard.diagnostics.cash_ladder.length).toBeGreaterThan(0);
  });

  it('32_dpm_supportability_summary_metrics.json → the summary counts the run', async () => {
    const res = await t.post('/rebalance/simulate', demo('32_dpm_supportability_summary_metrics.json'), {
      'Idempotency-Key': 'demo-32',
    });
    expect(res.status).toBe(200);
    const summary = await t.get('/rebalance/supportability/summary');
    expect(summary.json.run_count).toBeGreaterThanOrEqual(1);
    expect(summary.json.run_status_counts[res.json.status]).toBeGreaterThanOrEqual(1);
    expect(summary.json.newest_run_created_at).not.toBeNull();
  });

  it('50 simultaneous calls with one key and one payload store one run and return identical bodies', async () => {
    const body = demo('01_standard_drift.json');
    const responses = await Promise.all(
      Array.from({ length: 50 }, () =>
        t.post('/rebalance/simulate', body, { 'Idempotency-Key': 'race-same' }),
      ),
    );
    expect(new Set(responses.map((r) => r.status))).toEqual(new Set([200]));
    expect(new Set(responses.map((r) => r.text)).size).toBe(1);
    const rows = await t.store.db.query<{ n: number }>(
      "SELECT COUNT(*)::int AS n FROM dpm_runs WHERE idempotency_key = 'race-same'",
    );
    expect(rows[0]!.n).toBe(1);
    const history = await t.store.db.query<{ n: number }>(
      "SELECT COUNT(*)::int AS n FROM dpm_run_idempotency_history WHERE idempotency_key = 'race-same'",
    );
    expect(history[0]!.n).toBe(1);
  });

  it('50 simultaneous calls with one key and different payloads: one 200, the rest 409', async () => {
    const base = demo('01_standard_drift.json');
    const responses = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        t.post(
          '/rebalance/simulate',
          base.replace('"portfolio_id": "demo_01"', `"portfolio_id": "demo_01_${i}"`),
          {
            'Idempotency-Key': 'race-diff',
          },
        ),
      ),
    );
    const statuses = responses.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(49);
    const rows = await t.store.db.query<{ n: number }>(
      "SELECT COUNT(*)::int AS n FROM dpm_runs WHERE idempotency_key = 'race-diff'",
    );
    expect(rows[0]!.n).toBe(1);
  });
});
