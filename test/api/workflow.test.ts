/** The run review workflow over HTTP (spec 30 §11, demo 29), on every test backend. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS } from '../support/store.js';
import { demo, startTestApp, type TestApp } from '../support/http.js';

const ON = { DPM_WORKFLOW_ENABLED: 'true' };

describe.each(BACKENDS)('run workflow (%s)', (backend) => {
  let t: TestApp;
  let pendingRun: string;
  let readyRun: string;
  let tick = Date.parse('2026-03-01T09:00:00Z');
  beforeAll(async () => {
    t = await startTestApp(backend, {}, () => new Date((tick += 1000)));
    const pending = await t.post('/rebalance/simulate', demo('29_dpm_workflow_gate_disabled_contract.json'), {
      'Idempotency-Key': 'wf-29',
      'X-Correlation-Id': 'wf-corr-29',
    });
    expect(pending.json.status).toBe('PENDING_REVIEW');
    pendingRun = pending.json.rebalance_run_id;
    readyRun = (
      await t.post('/rebalance/simulate', demo('01_standard_drift.json'), { 'Idempotency-Key': 'wf-01' })
    ).json.rebalance_run_id;
  });
  afterAll(async () => t.close());

  const act = (url: string, action: string, reason = 'REVIEW_NOTE', actor = 'reviewer_001') =>
    t.post(url, { action, reason_code: reason, actor_id: actor }, { 'X-Correlation-Id': `wf-${action}` });

  it('is off by default: state and history answer 404 DPM_WORKFLOW_DISABLED (demo 29)', async () => {
    for (const url of [
      `/rebalance/runs/${pendingRun}/workflow`,
      `/rebalance/runs/${pendingRun}/workflow/history`,
      '/rebalance/workflow/decisions',
    ])
      expect((await t.get(url)).json).toEqual({ detail: 'DPM_WORKFLOW_DISABLED' });
    expect((await act(`/rebalance/runs/${pendingRun}/workflow/actions`, 'APPROVE')).json).toEqual({
      detail: 'DPM_WORKFLOW_DISABLED',
    });
  });

  it('walks PENDING_REVIEW → REQUEST_CHANGES → APPROVE → (APPROVE 409) → REJECT, by id, correlation and key', async () => {
    await t.restart(ON);
    const state = await t.get(`/rebalance/runs/${pendingRun}/workflow`);
    expect(state.json).toEqual({
      run_id: pendingRun,
      run_status: 'PENDING_REVIEW',
      workflow_status: 'PENDING_REVIEW',
      requires_review: true,
      latest_decision: null,
    });
    const changes = await act(
      `/rebalance/runs/${pendingRun}/workflow/actions`,
      'REQUEST_CHANGES',
      'NEEDS_DETAIL',
    );
    expect(changes.json.workflow_status).toBe('PENDING_REVIEW');
    expect(changes.json.latest_decision).toMatchObject({
      action: 'REQUEST_CHANGES',
      reason_code: 'NEEDS_DETAIL',
      actor_id: 'reviewer_001',
      correlation_id: 'wf-REQUEST_CHANGES',
      comment: null,
    });
    expect(changes.json.latest_decision.decision_id).toMatch(/^dwd_[0-9a-f]{12}$/);
    const approve = await act(
      '/rebalance/runs/by-correlation/wf-corr-29/workflow/actions',
      'APPROVE',
      'REVIEW_APPROVED',
    );
    expect(approve.json.workflow_status).toBe('APPROVED');
    const again = await act(`/rebalance/runs/${pendingRun}/workflow/actions`, 'APPROVE');
    expect(again.status).toBe(409);
    expect(again.json).toEqual({ detail: 'DPM_WORKFLOW_INVALID_TRANSITION' });
    const reject = await act(
      '/rebalance/runs/idempotency/wf-29/workflow/actions',
      'REJECT',
      'POLICY_REJECTED',
    );
    expect(reject.json.workflow_status).toBe('REJECTED');
    expect((await act(`/rebalance/runs/${pendingRun}/workflow/actions`, 'REJECT')).json).toEqual({
      detail: 'DPM_WORKFLOW_INVALID_TRANSITION',
    });

    const history = await t.get('/rebalance/runs/idempotency/wf-29/workflow/history');
    expect(history.json.decisions.map((d: any) => d.action)).toEqual([
      'REQUEST_CHANGES',
      'APPROVE',
      'REJECT',
    ]);
    const byCorrelation = await t.get('/rebalance/workflow/decisions/by-correlation/wf-corr-29');
    expect(byCorrelation.json).toEqual(history.json);
    expect((await t.get(`/rebalance/runs/by-correlation/wf-corr-29/workflow`)).json.workflow_status).toBe(
      'REJECTED',
    );
  });

  it('refuses actions on a run that needs no review, and honours a configured review set', async () => {
    const ready = await t.get(`/rebalance/runs/${readyRun}/workflow`);
    expect(ready.json).toMatchObject({
      workflow_status: 'NOT_REQUIRED',
      requires_review: false,
      run_status: 'READY',
    });
    expect((await act(`/rebalance/runs/${readyRun}/workflow/actions`, 'APPROVE')).json).toEqual({
      detail: 'DPM_WORKFLOW_NOT_REQUIRED_FOR_RUN_STATUS',
    });
    await t.restart({ ...ON, DPM_WORKFLOW_REQUIRES_REVIEW_FOR_STATUSES: ' READY , BLOCKED' });
    expect((await t.get(`/rebalance/runs/${readyRun}/workflow`)).json.workflow_status).toBe('PENDING_REVIEW');
    expect((await t.get(`/rebalance/runs/${pendingRun}/workflow`)).json.workflow_status).toBe('NOT_REQUIRED');
    await t.restart(ON);
  });

  it('lists decisions newest first with filters and cursor paging', async () => {
    const all = await t.get('/rebalance/workflow/decisions?limit=200');
    expect(all.json.items.map((d: any) => d.action)).toEqual(['REJECT', 'APPROVE', 'REQUEST_CHANGES']);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: any = await t.get(
        `/rebalance/workflow/decisions?limit=1${cursor ? `&cursor=${cursor}` : ''}`,
      );
      seen.push(...page.json.items.map((d: any) => d.decision_id));
      cursor = page.json.next_cursor;
    } while (cursor);
    expect(seen).toEqual(all.json.items.map((d: any) => d.decision_id));
    expect((await t.get('/rebalance/workflow/decisions?action=APPROVE')).json.items).toHaveLength(1);
    expect((await t.get('/rebalance/workflow/decisions?reason_code=NOPE')).json.items).toEqual([]);
    expect((await t.get(`/rebalance/workflow/decisions?rebalance_run_id=${readyRun}`)).json.items).toEqual(
      [],
    );
    expect((await t.get('/rebalance/workflow/decisions?action=MAYBE')).status).toBe(422);
  });

  it('validates the action body and answers the look-up codes', async () => {
    const bad = await t.post(`/rebalance/runs/${pendingRun}/workflow/actions`, {
      action: 'approve',
      reason_code: 'lower',
      actor_id: '',
    });
    expect(bad.status).toBe(422);
    expect(bad.json.detail.map((e: any) => e.loc.join('.'))).toEqual([
      'body.action',
      'body.reason_code',
      'body.actor_id',
    ]);
    expect((await t.get('/rebalance/runs/rr_nope/workflow')).json).toEqual({ detail: 'DPM_RUN_NOT_FOUND' });
    expect((await t.get('/rebalance/runs/idempotency/nope/workflow')).json).toEqual({
      detail: 'DPM_IDEMPOTENCY_KEY_NOT_FOUND',
    });
    expect((await t.get('/rebalance/workflow/decisions/by-correlation/nope')).json).toEqual({
      detail: 'DPM_RUN_NOT_FOUND',
    });
  });

  it('records one decision when two reviewers act at once on the same state', async () => {
    const fresh = await t.post(
      '/rebalance/simulate',
      demo('29_dpm_workflow_gate_disabled_contract.json').replace('"portfolio_id": "', '"portfolio_id": "x'),
      {
        'Idempotency-Key': 'wf-race',
      },
    );
    const url = `/rebalance/runs/${fresh.json.rebalance_run_id}/workflow/actions`;
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => act(url, 'APPROVE', 'REVIEW_APPROVED', `reviewer_${i}`)),
    );
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    expect(results.filter((r) => r.status === 409)).toHaveLength(7);
  });
});
