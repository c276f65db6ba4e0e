/** Advisory endpoints over HTTP (spec 20 §13–§15): vectors, demos 10–19, idempotency, errors. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { artifactHashOf } from '../../src/advisory/artifact.js';
import { BACKENDS } from '../support/store.js';
import { demo, startTestApp, type TestApp } from '../support/http.js';

const VECTORS: [string, string, string, string][] = [
  [
    '10_advisory_proposal_simulate.json',
    'sha256:cb32f6cf617a630dab1e5905b314a1e599f2537d953b23811d3d722330298169',
    'pr_410cebd9',
    'sha256:1d8a9c1567a8a66d7c8279eb28a87445d8c3efa1ac9753e079c370a8aaadb5c8',
  ],
  [
    '11_advisory_auto_funding_single_ccy.json',
    'sha256:d6e3a2b3045536e8e101759ebcce37122f3d9da81dc4913fdbca661f93cb6bd7',
    'pr_c69eadce',
    'sha256:f9dc0c0b8c0ebdc5c9ec313fa31f493b6edde30b5226fc99c495a13d441a736b',
  ],
  [
    '19_advisory_proposal_artifact.json',
    'sha256:610d9527d1ae1dabea28a4537eba045c07c1a0233e2ea956c12713ac31bcf708',
    'pr_c866a49b',
    'sha256:af51a8a125be956b12bd0f28b273ad78425e8b1cf54d078c43348d85c227c6a5',
  ],
];

const DEMOS: [string, string][] = [
  ['10_advisory_proposal_simulate.json', 'READY'],
  ['11_advisory_auto_funding_single_ccy.json', 'READY'],
  ['12_advisory_partial_funding.json', 'READY'],
  ['13_advisory_missing_fx_blocked.json', 'BLOCKED'],
  ['14_advisory_drift_asset_class.json', 'READY'],
  ['15_advisory_drift_instrument.json', 'READY'],
  ['16_advisory_suitability_resolved_single_position.json', 'READY'],
  ['17_advisory_suitability_new_issuer_breach.json', 'READY'],
  ['18_advisory_suitability_sell_only_violation.json', 'BLOCKED'],
];

describe.each(BACKENDS)('advisory proposals over HTTP (%s)', (backend) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(backend);
  });
  afterAll(async () => t.close());

  it.each(VECTORS)(
    '%s matches the reference request hash, run id and artifact hash',
    async (file, requestHash, runId, artifactHash) => {
      const res = await t.post('/rebalance/proposals/artifact', demo(file), {
        'Idempotency-Key': `idem-1-${file}`,
        'X-Correlation-Id': 'corr-1',
      });
      expect(res.status).toBe(200);
      expect(res.json.proposal_run_id).toBe(runId);
      expect(res.json.evidence_bundle.hashes.request_hash).toBe(requestHash);
      // The vector was computed with Idempotency-Key "idem-1"; the key is inside the embedded result.
      const body = JSON.parse(res.text.replaceAll(`idem-1-${file}`, 'idem-1'));
      const claimed = body.evidence_bundle.hashes.artifact_hash;
      expect(artifactHashOf(body)).toBe(artifactHash);
      expect(claimed).not.toBe('');
    },
  );

  it.each(DEMOS)('%s → %s', async (file, status) => {
    const res = await t.post('/rebalance/proposals/simulate', demo(file), {
      'Idempotency-Key': `demo-${file}`,
    });
    expect(res.status).toBe(200);
    expect(res.json.status).toBe(status);
  });

  it('19_advisory_proposal_artifact.json → READY, CLIENT_CONSENT, CF → FX → BUY', async () => {
    const res = await t.post('/rebalance/proposals/artifact', demo('19_advisory_proposal_artifact.json'), {
      'Idempotency-Key': 'demo-19',
    });
    expect(res.json.status).toBe('READY');
    expect(res.json.gate_decision.gate).toBe('CLIENT_CONSENT_REQUIRED');
    expect(res.json.summary.recommended_next_step).toBe('CLIENT_CONSENT');
    const intents = res.json.evidence_bundle.engine_outputs.proposal_result.intents;
    expect(intents.map((i: any) => i.intent_type)).toEqual(['CASH_FLOW', 'FX_SPOT', 'SECURITY_TRADE']);
    expect(intents[1]).toMatchObject({
      pair: 'USD/SGD',
      buy_amount: '2400.00',
      sell_amount_estimated: '3240.00',
    });
    expect(intents[2]).toMatchObject({ instrument_id: 'US_EQ_ETF', quantity: '20' });
  });

  it('replays by key across both endpoints with a stable artifact hash, and 409s another body', async () => {
    const body = demo('11_advisory_auto_funding_single_ccy.json');
    const sim = await t.post('/rebalance/proposals/simulate', body, {
      'Idempotency-Key': 'adv-replay',
      'X-Correlation-Id': 'first',
    });
    const again = await t.post('/rebalance/proposals/simulate', body, {
      'Idempotency-Key': 'adv-replay',
      'X-Correlation-Id': 'second',
    });
    expect(again.text).toBe(sim.text);
    expect(again.json.correlation_id).toBe('first');
    const a1 = await t.post('/rebalance/proposals/artifact', body, { 'Idempotency-Key': 'adv-replay' });
    const a2 = await t.post('/rebalance/proposals/artifact', body, { 'Idempotency-Key': 'adv-replay' });
    expect(a1.json.evidence_bundle.engine_outputs.proposal_result).toEqual(sim.json);
    expect(a2.json.evidence_bundle.hashes.artifact_hash).toBe(a1.json.evidence_bundle.hashes.artifact_hash);
    const other = await t.post('/rebalance/proposals/artifact', demo('12_advisory_partial_funding.json'), {
      'Idempotency-Key': 'adv-replay',
    });
    expect(other.status).toBe(409);
    expect(other.json).toEqual({ detail: 'IDEMPOTENCY_KEY_CONFLICT: request hash mismatch' });
  });

  it('generates a corr_ correlation id when none is sent', async () => {
    const res = await t.post('/rebalance/proposals/simulate', demo('12_advisory_partial_funding.json'), {
      'Idempotency-Key': 'adv-corr',
    });
    expect(res.json.correlation_id).toMatch(/^corr_[0-9a-f]{12}$/);
  });

  it('requires enable_proposal_simulation, checked before idempotency', async () => {
    const body = JSON.parse(demo('12_advisory_partial_funding.json'));
    body.options.enable_proposal_simulation = false;
    const res = await t.post('/rebalance/proposals/simulate', body, { 'Idempotency-Key': 'adv-corr' });
    expect(res.status).toBe(422);
    expect(res.json).toEqual({
      detail: 'PROPOSAL_SIMULATION_DISABLED: set options.enable_proposal_simulation=true',
    });
  });

  it('rejects float quantities, missing or double sizing, and a missing key', async () => {
    const body = JSON.parse(demo('12_advisory_partial_funding.json'));
    const withTrade = (trade: string) =>
      JSON.stringify({ ...body, proposed_trades: [] }).replace(
        '"proposed_trades":[]',
        `"proposed_trades":[${trade}]`,
      );
    const float = await t.post(
      '/rebalance/proposals/simulate',
      withTrade('{"side":"BUY","instrument_id":"US_EQ_ETF","quantity":10.0}'),
      { 'Idempotency-Key': 'v1' },
    );
    expect(float.json.detail[0]).toMatchObject({
      loc: ['body', 'proposed_trades', 0, 'quantity'],
      msg: 'Value error, PROPOSAL_INVALID_TRADE_INPUT: quantity must be a decimal string',
    });
    const neither = await t.post(
      '/rebalance/proposals/simulate',
      withTrade('{"side":"BUY","instrument_id":"US_EQ_ETF"}'),
      { 'Idempotency-Key': 'v2' },
    );
    expect(neither.json.detail[0]).toMatchObject({
      loc: ['body', 'proposed_trades', 0],
      msg: 'Value error, PROPOSAL_INVALID_TRADE_INPUT: quantity or notional is required',
    });
    const both = await t.post(
      '/rebalance/proposals/simulate',
      withTrade(
        '{"side":"BUY","instrument_id":"US_EQ_ETF","quantity":"1","notional":{"amount":"100","currency":"USD"}}',
      ),
      { 'Idempotency-Key': 'v3' },
    );
    expect(both.json.detail[0].msg).toBe(
      'Value error, PROPOSAL_INVALID_TRADE_INPUT: provide either quantity or notional, not both',
    );
    const noKey = await t.post('/rebalance/proposals/simulate', body);
    expect(noKey.json.detail[0]).toEqual({
      type: 'missing',
      loc: ['header', 'Idempotency-Key'],
      msg: 'Field required',
      input: null,
    });
  });
});
