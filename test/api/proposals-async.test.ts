/**
 * Asynchronous proposal operations on the durable queue (spec 40 §10) and concurrent commands on
 * one proposal (GAP G-P10, G-P11), with real queue workers, on every test backend.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProposalOperations } from '../../src/api/proposals/operations.js';
import { ProposalLifecycleService } from '../../src/api/proposals/service.js';
import { insertOperation } from '../../src/store/proposals.js';
import { BACKENDS } from '../support/store.js';
import { demo, type Response, startTestApp, type TestApp } from '../support/http.js';
import { operationSettled } from './helpers.js';

const CREATE = JSON.parse(demo('20_advisory_proposal_persist_create.json'));
const VERSION = JSON.parse(demo('21_advisory_proposal_new_version.json'));
const clone = <T>(x: T): T => JSON.parse(JSON.stringify(x)) as T;

function withPortfolio<T extends { simulate_request: any }>(
  body: T,
  portfolio: string,
  createdBy?: string,
): T {
  const out = clone(body);
  out.simulate_request.portfolio_snapshot.portfolio_id = portfolio;
  if (createdBy) (out as any).created_by = createdBy;
  return out;
}

describe.each(BACKENDS)('proposal async operations and concurrency (%s)', (backend) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(backend, {}, undefined, { workers: 2 });
  });
  afterAll(async () => t.close());

  const settled = (id: string) => operationSettled(t, `/rebalance/proposals/operations/${id}`, 30_000);
  const createSync = (body: unknown, key: string) =>
    t.post('/rebalance/proposals', body, { 'Idempotency-Key': key });
  const count = async (sql: string, params: unknown[] = []) =>
    (await t.store.db.query<{ n: number }>(sql, params))[0]!.n;

  describe('operations (§10)', () => {
    it('accepts a create with 202, a worker runs it, look-ups by id and correlation agree', async () => {
      const res = await t.post('/rebalance/proposals/async', withPortfolio(CREATE, 'pf_async_1'), {
        'Idempotency-Key': 'async-create-1',
        'X-Correlation-Id': 'corr-async-1',
      });
      expect(res.status).toBe(202);
      expect(res.headers['x-correlation-id']).toBe('corr-async-1');
      expect(res.json).toMatchObject({
        operation_type: 'CREATE_PROPOSAL',
        status: 'PENDING',
        correlation_id: 'corr-async-1',
        status_url: `/rebalance/proposals/operations/${res.json.operation_id}`,
      });
      expect(res.json.operation_id).toMatch(/^pop_[0-9a-f]{12}$/);
      const done = await settled(res.json.operation_id);
      expect(done.json).toMatchObject({
        status: 'SUCCEEDED',
        operation_type: 'CREATE_PROPOSAL',
        idempotency_key: 'async-create-1',
        created_by: 'advisor_demo_1',
        error: null,
      });
      expect(done.json.started_at).not.toBeNull();
      expect(done.json.finished_at).not.toBeNull();
      expect(done.json.result.proposal.proposal_id).toMatch(/^pp_/);
      expect(done.json.proposal_id).toBe(done.json.result.proposal.proposal_id);
      expect(done.json.result.latest_workflow_event.reason).toEqual({ correlation_id: 'corr-async-1' });
      const byCorrelation = await t.get('/rebalance/proposals/operations/by-correlation/corr-async-1');
      expect(byCorrelation.text).toBe(done.text);
      const stored = await t.get(`/rebalance/proposals/${done.json.proposal_id}`);
      expect(stored.json.current_version).toEqual(done.json.result.version);
      // The key is the create's: a synchronous replay returns the same proposal.
      const replay = await createSync(withPortfolio(CREATE, 'pf_async_1'), 'async-create-1');
      expect(replay.json.proposal.proposal_id).toBe(done.json.proposal_id);
    });

    it('generates a correlation id and records it in the event reason', async () => {
      const res = await t.post('/rebalance/proposals/async', withPortfolio(CREATE, 'pf_async_2'), {
        'Idempotency-Key': 'async-create-2',
      });
      expect(res.json.correlation_id).toMatch(/^corr_[0-9a-f]{12}$/);
      const done = await settled(res.json.operation_id);
      expect(done.json.result.latest_workflow_event.reason).toEqual({
        correlation_id: res.json.correlation_id,
      });
      expect(done.json.result.version.proposal_result.correlation_id).toBe(res.json.correlation_id);
    });

    it('creates a version in the background', async () => {
      const created = await createSync(withPortfolio(CREATE, 'pf_async_v'), 'async-v-base');
      const id = created.json.proposal.proposal_id;
      const res = await t.post(
        `/rebalance/proposals/${id}/versions/async`,
        withPortfolio(VERSION, 'pf_async_v'),
      );
      expect(res.status).toBe(202);
      expect(res.json.operation_type).toBe('CREATE_PROPOSAL_VERSION');
      const done = await settled(res.json.operation_id);
      expect(done.json.status).toBe('SUCCEEDED');
      expect(done.json.idempotency_key).toBeNull();
      expect(done.json.result.proposal.current_version_no).toBe(2);
      expect(done.json.result.latest_workflow_event.event_type).toBe('NEW_VERSION_CREATED');
    });

    it('ends FAILED with the reference error class and detail for domain errors (QUIRK Q-P15)', async () => {
      const missing = await t.post(
        '/rebalance/proposals/pp_missing/versions/async',
        withPortfolio(VERSION, 'x'),
      );
      expect(missing.status).toBe(202);
      const failed = await settled(missing.json.operation_id);
      expect(failed.json).toMatchObject({
        status: 'FAILED',
        proposal_id: 'pp_missing',
        result: null,
        error: { code: 'ProposalNotFoundError', message: 'PROPOSAL_NOT_FOUND' },
      });

      await createSync(withPortfolio(CREATE, 'pf_async_conflict'), 'async-conflict');
      const other = withPortfolio(CREATE, 'pf_async_conflict');
      other.metadata.title = 'changed';
      const conflict = await t.post('/rebalance/proposals/async', other, {
        'Idempotency-Key': 'async-conflict',
      });
      expect((await settled(conflict.json.operation_id)).json.error).toEqual({
        code: 'ProposalIdempotencyConflictError',
        message: 'IDEMPOTENCY_KEY_CONFLICT: request hash mismatch',
      });

      const off = withPortfolio(CREATE, 'pf_async_off');
      off.simulate_request.options.enable_proposal_simulation = false;
      const disabled = await t.post('/rebalance/proposals/async', off, { 'Idempotency-Key': 'async-off' });
      expect((await settled(disabled.json.operation_id)).json.error).toEqual({
        code: 'ProposalValidationError',
        message: 'PROPOSAL_SIMULATION_DISABLED: set options.enable_proposal_simulation=true',
      });
    });

    it('validates before accepting and answers 404 for unknown operations', async () => {
      const invalid = await t.post(
        '/rebalance/proposals/async',
        { created_by: 'a' },
        { 'Idempotency-Key': 'k' },
      );
      expect(invalid.status).toBe(422);
      expect(invalid.json.detail[0].loc).toEqual(['body', 'simulate_request']);
      for (const url of [
        '/rebalance/proposals/operations/pop_unknown',
        '/rebalance/proposals/operations/by-correlation/corr-unknown',
      ])
        expect((await t.get(url)).json).toEqual({ detail: 'PROPOSAL_ASYNC_OPERATION_NOT_FOUND' });
    });

    it('returns the newest operation for a reused correlation id (QUIRK Q-P17)', async () => {
      const first = await t.post('/rebalance/proposals/async', withPortfolio(CREATE, 'pf_async_reuse'), {
        'Idempotency-Key': 'reuse-1',
        'X-Correlation-Id': 'corr-reused',
      });
      const second = await t.post('/rebalance/proposals/async', withPortfolio(CREATE, 'pf_async_reuse'), {
        'Idempotency-Key': 'reuse-2',
        'X-Correlation-Id': 'corr-reused',
      });
      expect(second.status).toBe(202);
      await settled(first.json.operation_id);
      await settled(second.json.operation_id);
      const latest = await t.get('/rebalance/proposals/operations/by-correlation/corr-reused');
      expect(latest.json.operation_id).toBe(second.json.operation_id);
    });

    it('an unexpected error is retried, then ends FAILED instead of staying RUNNING (QUIRK Q-P16)', async () => {
      const service = new ProposalLifecycleService(t.store.db, {});
      const operations = new ProposalOperations(service, null);
      await insertOperation(t.store.db, 'default', {
        operation_id: 'pop_broken00001',
        operation_type: 'CREATE_PROPOSAL',
        status: 'PENDING',
        correlation_id: 'corr-broken',
        idempotency_key: 'broken-key',
        proposal_id: null,
        created_by: 'advisor_demo_1',
        created_at: new Date(),
        started_at: null,
        finished_at: null,
        request_json: '{"created_by":"advisor_demo_1"}',
        result_json: null,
        error_json: null,
        attempts: 0,
      });
      await expect(
        operations.execute('default', 'pop_broken00001', { retryCount: 0, retryLimit: 1 }),
      ).rejects.toThrow(/no longer validates/);
      expect((await t.get('/rebalance/proposals/operations/pop_broken00001')).json.status).toBe('RUNNING');
      await operations.execute('default', 'pop_broken00001', { retryCount: 1, retryLimit: 1 });
      const failed = await t.get('/rebalance/proposals/operations/pop_broken00001');
      expect(failed.json).toMatchObject({
        status: 'FAILED',
        result: null,
        error: {
          code: 'Error',
          message: 'The operation failed (Error); the server log has details for pop_broken00001.',
        },
      });
      expect(
        await count(
          "SELECT attempts AS n FROM proposal_async_operations WHERE operation_id = 'pop_broken00001'",
        ),
      ).toBe(2);
    });

    it('finishes an operation exactly once when two executors race for it', async () => {
      const service = new ProposalLifecycleService(t.store.db, {});
      const operations = new ProposalOperations(service, null);
      for (let i = 0; i < 5; i++) {
        const body = JSON.stringify(withPortfolio(CREATE, `pf_race_exec_${i}`));
        await insertOperation(t.store.db, 'default', {
          operation_id: `pop_race0000${i}`,
          operation_type: 'CREATE_PROPOSAL',
          status: 'PENDING',
          correlation_id: `corr-race-${i}`,
          idempotency_key: `race-exec-${i}`,
          proposal_id: null,
          created_by: 'advisor_demo_1',
          created_at: new Date(),
          started_at: null,
          finished_at: null,
          request_json: body,
          result_json: null,
          error_json: null,
          attempts: 0,
        });
        await Promise.all([
          operations.execute('default', `pop_race0000${i}`, { retryCount: 0, retryLimit: 3 }),
          operations.execute('default', `pop_race0000${i}`, { retryCount: 0, retryLimit: 3 }),
        ]);
        const op = await t.get(`/rebalance/proposals/operations/pop_race0000${i}`);
        expect(op.json.status).toBe('SUCCEEDED');
        expect(
          await count('SELECT COUNT(*)::int AS n FROM proposal_records WHERE portfolio_id = $1', [
            `pf_race_exec_${i}`,
          ]),
        ).toBe(1);
        expect(
          await count(
            'SELECT COUNT(*)::int AS n FROM proposal_workflow_events e JOIN proposal_records p USING (tenant_id, proposal_id) WHERE p.portfolio_id = $1',
            [`pf_race_exec_${i}`],
          ),
        ).toBe(1);
        expect(op.json.proposal_id).toBe(op.json.result.proposal.proposal_id);
      }
    });
  });

  describe('concurrent commands on one proposal', () => {
    /** A proposal in COMPLIANCE_REVIEW. */
    async function inCompliance(portfolio: string) {
      const id = (await createSync(withPortfolio(CREATE, portfolio), `conc-${portfolio}`)).json.proposal
        .proposal_id;
      await t.post(`/rebalance/proposals/${id}/transitions`, {
        event_type: 'SUBMITTED_FOR_COMPLIANCE_REVIEW',
        actor_id: 'advisor_demo_1',
        expected_state: 'DRAFT',
      });
      return id as string;
    }
    /** Every event continues from the state the previous one left. */
    async function expectConsistentTimeline(id: string) {
      const { events, current_state } = (await t.get(`/rebalance/proposals/${id}/workflow-events`)).json;
      for (let i = 1; i < events.length; i++) expect(events[i].from_state).toBe(events[i - 1].to_state);
      expect(events.at(-1).to_state).toBe(current_state);
      return events as any[];
    }

    it('20 simultaneous approvals: one succeeds, 19 get the documented 409', async () => {
      const id = await inCompliance('pf_conc_approvals');
      const responses = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          t.post(`/rebalance/proposals/${id}/approvals`, {
            approval_type: 'COMPLIANCE',
            approved: i % 2 === 0,
            actor_id: `compliance_${i}`,
            expected_state: 'COMPLIANCE_REVIEW',
          }),
        ),
      );
      const ok = responses.filter((r) => r.status === 200);
      expect(ok).toHaveLength(1);
      const conflicts = responses.filter((r) => r.status === 409);
      expect(conflicts).toHaveLength(19);
      for (const r of conflicts)
        expect(r.json).toEqual({ detail: 'STATE_CONFLICT: expected_state mismatch' });
      expect(
        await count('SELECT COUNT(*)::int AS n FROM proposal_approvals WHERE proposal_id = $1', [id]),
      ).toBe(1);
      const events = await expectConsistentTimeline(id);
      expect(events.map((e) => e.event_type)).toEqual([
        'CREATED',
        'SUBMITTED_FOR_COMPLIANCE_REVIEW',
        ok[0]!.json.latest_workflow_event.event_type,
      ]);
    });

    it('20 simultaneous creates with one key: one proposal; with different bodies, one 200 and 409s', async () => {
      const body = withPortfolio(CREATE, 'pf_conc_create');
      const same = await Promise.all(Array.from({ length: 20 }, () => createSync(body, 'conc-create-same')));
      expect(new Set(same.map((r) => r.status))).toEqual(new Set([200]));
      expect(new Set(same.map((r) => r.json.proposal.proposal_id)).size).toBe(1);
      expect(
        await count("SELECT COUNT(*)::int AS n FROM proposal_records WHERE portfolio_id = 'pf_conc_create'"),
      ).toBe(1);

      const different = await Promise.all(
        Array.from({ length: 20 }, (_, i) => {
          const b = withPortfolio(CREATE, 'pf_conc_create_diff');
          b.metadata.title = `title ${i}`;
          return createSync(b, 'conc-create-diff');
        }),
      );
      expect(different.filter((r) => r.status === 200)).toHaveLength(1);
      const conflicts = different.filter((r) => r.status === 409);
      expect(conflicts).toHaveLength(19);
      for (const r of conflicts)
        expect(r.json).toEqual({ detail: 'IDEMPOTENCY_KEY_CONFLICT: request hash mismatch' });
      expect(
        await count(
          "SELECT COUNT(*)::int AS n FROM proposal_records WHERE portfolio_id = 'pf_conc_create_diff'",
        ),
      ).toBe(1);
    });

    it('versions racing each other and a transition: dense numbers, nothing lost or overwritten', async () => {
      const id = (await createSync(withPortfolio(CREATE, 'pf_conc_versions'), 'conc-versions')).json.proposal
        .proposal_id;
      const calls: Promise<Response>[] = Array.from({ length: 10 }, (_, i) =>
        t.post(
          `/rebalance/proposals/${id}/versions`,
          withPortfolio(VERSION, 'pf_conc_versions', `advisor_${i}`),
        ),
      );
      calls.splice(
        5,
        0,
        t.post(`/rebalance/proposals/${id}/transitions`, {
          event_type: 'SUBMITTED_FOR_RISK_REVIEW',
          actor_id: 'advisor_demo_1',
          expected_state: 'DRAFT',
        }),
      );
      const responses = await Promise.all(calls);
      expect(responses.map((r) => r.status)).toEqual(responses.map(() => 200));
      const numbers = responses
        .filter((r) => r.json.version)
        .map((r) => r.json.version.version_no)
        .sort((a: number, b: number) => a - b);
      expect(numbers).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
      const lineage = (await t.get(`/rebalance/proposals/${id}/lineage`)).json;
      expect(lineage.versions.map((v: any) => v.version_no)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
      expect(lineage.proposal).toMatchObject({ current_version_no: 11, current_state: 'RISK_REVIEW' });
      const events = await expectConsistentTimeline(id);
      expect(events.filter((e) => e.event_type === 'NEW_VERSION_CREATED')).toHaveLength(10);
    });

    it('consent racing a new version: serialised, and the new content always goes back to review (G-P4)', async () => {
      for (let round = 0; round < 3; round++) {
        const id = await inCompliance(`pf_conc_consent_${round}`);
        await t.post(`/rebalance/proposals/${id}/approvals`, {
          approval_type: 'COMPLIANCE',
          approved: true,
          actor_id: 'compliance_1',
          expected_state: 'COMPLIANCE_REVIEW',
        });
        const [consent, version] = await Promise.all([
          t.post(`/rebalance/proposals/${id}/approvals`, {
            approval_type: 'CLIENT_CONSENT',
            approved: true,
            actor_id: 'client_1',
            expected_state: 'AWAITING_CLIENT_CONSENT',
          }),
          t.post(
            `/rebalance/proposals/${id}/versions`,
            withPortfolio(VERSION, `pf_conc_consent_${round}`, 'advisor_demo_2'),
          ),
        ]);
        expect(version!.status).toBe(200);
        if (consent!.status === 200)
          expect(version!.json.latest_workflow_event.from_state).toBe('EXECUTION_READY');
        else {
          expect(consent!.json).toEqual({ detail: 'STATE_CONFLICT: expected_state mismatch' });
          expect(version!.json.latest_workflow_event.from_state).toBe('AWAITING_CLIENT_CONSENT');
        }
        expect((await t.get(`/rebalance/proposals/${id}`)).json.proposal.current_state).toBe(
          'COMPLIANCE_REVIEW',
        );
        await expectConsistentTimeline(id);
      }
    });
  });
});
