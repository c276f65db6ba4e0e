/** POST /rebalance/simulate and /rebalance/analyze over HTTP (spec 30 §3, §4), on every test backend. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS } from '../support/store.js';
import { demo, startTestApp, type TestApp } from '../support/http.js';

const BODY = demo('27_dpm_supportability_artifact_flow.json');
const HASH_27 = 'sha256:829d64b707572692658c17262262d0fd6a5a1ae5b83870332a9eadf942a7f43e';
const changed = (body: string) =>
  body.replace('"single_position_max_weight": "0.60"', '"single_position_max_weight": "0.70"');

describe.each(BACKENDS)('simulate and analyze over HTTP (%s)', (backend) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(backend);
  });
  afterAll(async () => t.close());

  it('runs the engine, records the run with its canonical request hash, and echoes a request id', async () => {
    const res = await t.post('/rebalance/simulate', BODY, {
      'Idempotency-Key': 'sim-1',
      'X-Correlation-Id': 'corr-sim-1',
    });
    expect(res.status).toBe(200);
    expect(res.json.status).toBe('READY');
    expect(res.json.correlation_id).toBe('corr-sim-1');
    expect(res.json.lineage.request_hash).toBe(HASH_27);
    expect(res.json.rebalance_run_id).toMatch(/^rr_[0-9a-f]{16}$/);
    expect(res.headers['x-request-id']).toBeTruthy();
    const run = await t.get(`/rebalance/runs/${res.json.rebalance_run_id}`);
    expect(run.status).toBe(200);
    expect(run.json).toMatchObject({
      correlation_id: 'corr-sim-1',
      request_hash: HASH_27,
      idempotency_key: 'sim-1',
      portfolio_id: 'pf_demo_support_27',
    });
    expect(run.json.result).toEqual(res.json);
  });

  it('defaults the correlation id to c_none and keeps a caller X-Request-Id', async () => {
    const res = await t.post('/rebalance/simulate', BODY, {
      'Idempotency-Key': 'sim-2',
      'X-Request-Id': 'req-abc-123',
    });
    expect(res.json.correlation_id).toBe('c_none');
    expect(res.headers['x-request-id']).toBe('req-abc-123');
  });

  it('replays the same key and body byte for byte, without a new run', async () => {
    const first = await t.post('/rebalance/simulate', BODY, {
      'Idempotency-Key': 'replay-1',
      'X-Correlation-Id': 'a',
    });
    const again = await t.post('/rebalance/simulate', BODY, {
      'Idempotency-Key': 'replay-1',
      'X-Correlation-Id': 'b',
    });
    expect(again.status).toBe(200);
    expect(again.text).toBe(first.text);
    const runs = await t.get(`/rebalance/runs?request_hash=${encodeURIComponent(HASH_27)}&limit=200`);
    expect(runs.json.items.filter((r: any) => r.idempotency_key === 'replay-1')).toHaveLength(1);
  });

  it('answers 409 with the exact detail for the same key and another body', async () => {
    await t.post('/rebalance/simulate', BODY, { 'Idempotency-Key': 'conflict-1' });
    const res = await t.post('/rebalance/simulate', changed(BODY), { 'Idempotency-Key': 'conflict-1' });
    expect(res.status).toBe(409);
    expect(res.json).toEqual({ detail: 'IDEMPOTENCY_KEY_CONFLICT: request hash mismatch' });
  });

  it('keeps replay across a restart (the mapping is persistent)', async () => {
    const first = await t.post('/rebalance/simulate', BODY, { 'Idempotency-Key': 'restart-1' });
    await t.restart();
    const again = await t.post('/rebalance/simulate', BODY, { 'Idempotency-Key': 'restart-1' });
    expect(again.text).toBe(first.text);
    expect(
      (await t.post('/rebalance/simulate', changed(BODY), { 'Idempotency-Key': 'restart-1' })).status,
    ).toBe(409);
  });

  it('with replay disabled runs every call anew and grows the history (demo 30)', async () => {
    await t.restart({
      DPM_IDEMPOTENCY_REPLAY_ENABLED: 'false',
      DPM_IDEMPOTENCY_HISTORY_APIS_ENABLED: 'true',
      DPM_LINEAGE_APIS_ENABLED: 'true',
    });
    const body30 = demo('30_dpm_idempotency_history_supportability.json');
    const a = await t.post('/rebalance/simulate', body30, {
      'Idempotency-Key': 'hist-30',
      'X-Correlation-Id': 'c30-a',
    });
    const b = await t.post('/rebalance/simulate', changed(body30).replace('"0.50"', '"0.55"'), {
      'Idempotency-Key': 'hist-30',
      'X-Correlation-Id': 'c30-b',
    });
    expect([a.status, b.status]).toEqual([200, 200]);
    expect(a.json.rebalance_run_id).not.toBe(b.json.rebalance_run_id);
    const mapping = await t.get('/rebalance/runs/idempotency/hist-30');
    expect(mapping.json.rebalance_run_id).toBe(b.json.rebalance_run_id);
    const history = await t.get('/rebalance/idempotency/hist-30/history');
    expect(history.json.history.map((h: any) => h.rebalance_run_id)).toEqual([
      a.json.rebalance_run_id,
      b.json.rebalance_run_id,
    ]);
    expect(new Set(history.json.history.map((h: any) => h.correlation_id))).toEqual(
      new Set(['c30-a', 'c30-b']),
    );
    expect(history.json.history[0].request_hash).not.toBe(history.json.history[1].request_hash);
    const lineage = await t.get('/rebalance/lineage/hist-30');
    expect(lineage.json.edges.filter((e: any) => e.edge_type === 'IDEMPOTENCY_TO_RUN')).toHaveLength(2);
    await t.restart({});
  });

  describe('validation', () => {
    it('lists a missing Idempotency-Key before body errors', async () => {
      const res = await t.post('/rebalance/simulate', { portfolio_snapshot: {} });
      expect(res.status).toBe(422);
      expect(res.json.detail[0]).toEqual({
        type: 'missing',
        loc: ['header', 'Idempotency-Key'],
        msg: 'Field required',
        input: null,
      });
      expect(res.json.detail.slice(1).every((e: any) => e.loc[0] === 'body')).toBe(true);
      expect(res.json.detail).toContainEqual(
        expect.objectContaining({ loc: ['body', 'options'], type: 'missing' }),
      );
    });

    it('names the field of a bad decimal', async () => {
      const res = await t.post(
        '/rebalance/simulate',
        BODY.replace('"quantity": "80"', '"quantity": "eighty"'),
        { 'Idempotency-Key': 'v1' },
      );
      expect(res.status).toBe(422);
      expect(res.json.detail).toEqual([
        expect.objectContaining({
          type: 'decimal_parsing',
          loc: ['body', 'portfolio_snapshot', 'positions', 0, 'quantity'],
        }),
      ]);
    });

    it('names the field of a bad band option or lot size (issue 15) and runs a banded request', async () => {
      const bad = JSON.parse(BODY);
      bad.options.drift_band_rel = '1.5';
      bad.shelf_entries[0].lot_size = '0';
      const res = await t.post('/rebalance/simulate', bad, { 'Idempotency-Key': 'v-bands-1' });
      expect(res.status).toBe(422);
      expect(res.json.detail.map((d: any) => [d.type, d.loc])).toEqual([
        ['greater_than', ['body', 'shelf_entries', 0, 'lot_size']],
        ['less_than_equal', ['body', 'options', 'drift_band_rel']],
      ]);
      const good = JSON.parse(BODY);
      good.options.drift_band_abs = '1';
      const ok = await t.post('/rebalance/simulate', good, { 'Idempotency-Key': 'v-bands-2' });
      expect(ok.status).toBe(200);
      expect(ok.json.intents).toEqual([]);
      expect(ok.json.diagnostics.drift_summary.within_tolerance).toBe(true);
    });

    it('rejects a bad group-constraint key, an array body and malformed JSON', async () => {
      const bad = JSON.parse(BODY);
      bad.options.group_constraints = { bad_key: { max_weight: '0.5' } };
      const a = await t.post('/rebalance/simulate', bad, { 'Idempotency-Key': 'v2' });
      expect(a.json.detail[0]).toMatchObject({
        type: 'value_error',
        loc: ['body', 'options', 'group_constraints'],
      });
      const b = await t.post('/rebalance/simulate', '[1,2]', { 'Idempotency-Key': 'v3' });
      expect(b.json.detail[0]).toMatchObject({ type: 'model_attributes_type', loc: ['body'] });
      const c = await t.post('/rebalance/simulate', '{"portfolio_snapshot": ', { 'Idempotency-Key': 'v4' });
      expect(c.status).toBe(422);
      expect(c.json.detail[0].type).toBe('json_invalid');
    });

    it('bounds header lengths and answers 413 for an oversized body, 404 for unknown paths', async () => {
      const longKey = await t.post('/rebalance/simulate', BODY, { 'Idempotency-Key': 'k'.repeat(300) });
      expect(longKey.status).toBe(422);
      expect(longKey.json.detail[0].loc).toEqual(['header', 'Idempotency-Key']);
      const huge = await t.post('/rebalance/simulate', `{"pad":"${'x'.repeat(11 * 1024 * 1024)}"}`, {
        'Idempotency-Key': 'big',
      });
      expect(huge.status).toBe(413);
      expect(huge.json).toEqual({ detail: 'REQUEST_BODY_TOO_LARGE' });
      expect((await t.get('/rebalance/nope')).json).toEqual({ detail: 'Not Found' });
    });
  });

  it('analyze runs scenarios, records each successful one under "{correlation}:{scenario}"', async () => {
    const res = await t.post('/rebalance/analyze', demo('26_dpm_async_batch_analysis.json'), {
      'X-Correlation-Id': 'corr-an-1',
    });
    expect(res.status).toBe(200);
    expect(res.json.batch_run_id).toMatch(/^batch_[0-9a-f]{16}$/);
    expect(res.json.warnings).toEqual(['PARTIAL_BATCH_FAILURE']);
    expect(res.json.failed_scenarios).toEqual({
      invalid_options:
        "INVALID_OPTIONS: Value error, group_constraints keys must use format '<attribute_key>:<attribute_value>'",
    });
    const run = await t.get('/rebalance/runs/by-correlation/corr-an-1:baseline');
    expect(run.status).toBe(200);
    expect(run.json.request_hash).toBe(`${res.json.batch_run_id}:baseline`);
    expect(run.json.idempotency_key).toBeNull();
  });

  it('analyze rejects more than 20 scenarios as a whole', async () => {
    const body = JSON.parse(demo('26_dpm_async_batch_analysis.json'));
    body.scenarios = Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`s${i}`, { options: {} }]));
    const res = await t.post('/rebalance/analyze', body);
    expect(res.status).toBe(422);
    expect(res.json.detail[0].loc).toEqual(['body', 'scenarios']);
  });
});
