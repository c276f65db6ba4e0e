/**
 * The advisory proposal lifecycle over HTTP (spec 40 Part A), on every test backend: the demo
 * walk-through 20–25 (§24), the acceptance checklist of §26, Keel's closed gaps (G-P1, G-P3,
 * G-P4), routing (Q-P8), paging, feature gates, store readiness and persistence across a restart.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { artifactHashOf } from '../../src/advisory/artifact.js';
import { buildApp } from '../../src/api/app.js';
import { canonicalHash } from '../../src/contracts/canonical.js';
import { openDatabase } from '../../src/store/database.js';
import { MIGRATIONS } from '../../src/store/migrations.js';
import { freePort } from '../support/process.js';
import { BACKENDS } from '../support/store.js';
import { demo, type Response, startTestApp, type TestApp } from '../support/http.js';

const CREATE = JSON.parse(demo('20_advisory_proposal_persist_create.json'));
const VERSION = JSON.parse(demo('21_advisory_proposal_new_version.json'));
const BLOCKED_REQUEST = JSON.parse(demo('13_advisory_missing_fx_blocked.json'));
const clone = <T>(x: T): T => JSON.parse(JSON.stringify(x)) as T;

/** A create body for `portfolio` (demo 20's request otherwise). */
function createBody(portfolio = 'pf_demo_lifecycle_1', createdBy = 'advisor_demo_1') {
  const body = clone(CREATE);
  body.created_by = createdBy;
  body.simulate_request.portfolio_snapshot.portfolio_id = portfolio;
  return body;
}
function versionBody(portfolio = 'pf_demo_lifecycle_1', createdBy = 'advisor_demo_2') {
  const body = clone(VERSION);
  body.created_by = createdBy;
  body.simulate_request.portfolio_snapshot.portfolio_id = portfolio;
  return body;
}

describe.each(BACKENDS)('proposal lifecycle (%s)', (backend) => {
  let t: TestApp;
  let now = Date.parse('2026-02-19T12:00:00Z');
  const clock = () => new Date((now += 1000));
  let keys = 0;

  beforeAll(async () => {
    t = await startTestApp(backend, {}, clock);
  });
  afterAll(async () => t.close());

  const create = (body: unknown, key = `key-${++keys}`, headers: Record<string, string> = {}) =>
    t.post('/rebalance/proposals', body, { 'Idempotency-Key': key, ...headers });
  const transition = (id: string, body: Record<string, unknown>) =>
    t.post(`/rebalance/proposals/${id}/transitions`, { actor_id: 'advisor_demo_1', ...body });
  const approve = (id: string, body: Record<string, unknown>) =>
    t.post(`/rebalance/proposals/${id}/approvals`, body);
  /** A new proposal, moved to COMPLIANCE_REVIEW. */
  async function inCompliance(portfolio: string): Promise<string> {
    const id = (await create(createBody(portfolio))).json.proposal.proposal_id as string;
    const sent = await transition(id, {
      event_type: 'SUBMITTED_FOR_COMPLIANCE_REVIEW',
      expected_state: 'DRAFT',
    });
    expect(sent.json.current_state).toBe('COMPLIANCE_REVIEW');
    return id;
  }
  const expectDetail = (res: Response, status: number, detail: string) => {
    expect(res.status, res.text).toBe(status);
    expect(res.json).toEqual({ detail });
  };

  describe('demo walk-through (§24: 20, 21, 22, 24, 23, 25)', () => {
    let id: string;
    it('20: create → DRAFT, version 1', async () => {
      const res = await t.post('/rebalance/proposals', demo('20_advisory_proposal_persist_create.json'), {
        'Idempotency-Key': 'demo-proposal-persist-01',
      });
      expect(res.status).toBe(200);
      expect(res.json.proposal).toMatchObject({
        portfolio_id: 'pf_demo_lifecycle_1',
        current_state: 'DRAFT',
        current_version_no: 1,
        created_by: 'advisor_demo_1',
        title: 'Demo lifecycle proposal',
        jurisdiction: 'SG',
        mandate_id: 'mandate_demo_1',
      });
      expect(res.json.version.version_no).toBe(1);
      expect(res.json.latest_workflow_event.event_type).toBe('CREATED');
      id = res.json.proposal.proposal_id;
    });
    it('21: new version → version 2, still DRAFT', async () => {
      const res = await t.post(
        `/rebalance/proposals/${id}/versions`,
        demo('21_advisory_proposal_new_version.json'),
      );
      expect(res.status).toBe(200);
      expect(res.json.proposal).toMatchObject({ current_version_no: 2, current_state: 'DRAFT' });
      expect(res.json.latest_workflow_event).toMatchObject({
        event_type: 'NEW_VERSION_CREATED',
        from_state: 'DRAFT',
        to_state: 'DRAFT',
        actor_id: 'advisor_demo_2',
        related_version_no: 2,
      });
    });
    it('22: transition → COMPLIANCE_REVIEW', async () => {
      const res = await t.post(
        `/rebalance/proposals/${id}/transitions`,
        demo('22_advisory_proposal_transition_to_compliance.json'),
      );
      expect(res.status).toBe(200);
      expect(res.json).toMatchObject({ proposal_id: id, current_state: 'COMPLIANCE_REVIEW', approval: null });
    });
    it('24: compliance approval → AWAITING_CLIENT_CONSENT', async () => {
      const res = await t.post(
        `/rebalance/proposals/${id}/approvals`,
        demo('24_advisory_proposal_approval_compliance.json'),
      );
      expect(res.status).toBe(200);
      expect(res.json.current_state).toBe('AWAITING_CLIENT_CONSENT');
      expect(res.json.approval).toMatchObject({
        approval_type: 'COMPLIANCE',
        approved: true,
        actor_id: 'compliance_demo_1',
      });
      expect(res.json.latest_workflow_event.reason).toEqual(res.json.approval.details);
      expect(res.json.latest_workflow_event.occurred_at).toBe(res.json.approval.occurred_at);
    });
    it('23: client consent → EXECUTION_READY', async () => {
      const res = await t.post(
        `/rebalance/proposals/${id}/approvals`,
        demo('23_advisory_proposal_approval_client_consent.json'),
      );
      expect(res.status).toBe(200);
      expect(res.json.current_state).toBe('EXECUTION_READY');
      expect(res.json.latest_workflow_event.event_type).toBe('CLIENT_CONSENT_RECORDED');
    });
    it('25: executed → EXECUTED', async () => {
      const res = await t.post(
        `/rebalance/proposals/${id}/transitions`,
        demo('25_advisory_proposal_transition_executed.json'),
      );
      expect(res.status).toBe(200);
      expect(res.json.current_state).toBe('EXECUTED');
    });
    it('step 7: the list finds it; the timeline and approvals tell the story', async () => {
      const list = await t.get('/rebalance/proposals?portfolio_id=pf_demo_lifecycle_1&limit=5');
      expect(list.status).toBe(200);
      expect(list.json.items.map((p: any) => p.proposal_id)).toContain(id);
      const events = await t.get(`/rebalance/proposals/${id}/workflow-events`);
      expect(events.json.current_state).toBe('EXECUTED');
      expect(events.json.events.map((e: any) => e.event_type)).toEqual([
        'CREATED',
        'NEW_VERSION_CREATED',
        'SUBMITTED_FOR_COMPLIANCE_REVIEW',
        'COMPLIANCE_APPROVED',
        'CLIENT_CONSENT_RECORDED',
        'EXECUTED',
      ]);
      const approvals = await t.get(`/rebalance/proposals/${id}/approvals`);
      expect(approvals.json.approvals.map((a: any) => a.approval_type)).toEqual([
        'COMPLIANCE',
        'CLIENT_CONSENT',
      ]);
    });
  });

  describe('create (§6.2, §7, §9)', () => {
    it('stores DRAFT version 1 with its hashes and a CREATED event', async () => {
      const res = await create(createBody('pf_create_1'), 'create-basic');
      expect(res.status).toBe(200);
      const { proposal, version, latest_workflow_event: event } = res.json;
      expect(proposal.proposal_id).toMatch(/^pp_[0-9a-f]{12}$/);
      expect(Object.keys(proposal).sort()).toEqual(
        [
          'proposal_id',
          'portfolio_id',
          'mandate_id',
          'jurisdiction',
          'created_by',
          'created_at',
          'last_event_at',
          'current_state',
          'current_version_no',
          'title',
        ].sort(),
      );
      expect(proposal.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?\+00:00$/);
      expect(version.proposal_version_id).toMatch(/^ppv_[0-9a-f]{12}$/);
      expect(version.status_at_creation).toBe('READY');
      expect(version.artifact_hash).toMatch(/^sha256:[0-9a-f]{64}$/);
      expect(version.artifact_hash).toBe(version.artifact.evidence_bundle.hashes.artifact_hash);
      expect(artifactHashOf(version.artifact)).toBe(version.artifact_hash);
      expect(version.simulation_hash).toBe(canonicalHash(version.proposal_result));
      expect(version.proposal_result.lineage).toMatchObject({
        request_hash: version.request_hash,
        idempotency_key: 'create-basic',
      });
      expect(version.evidence_bundle).toEqual(version.artifact.evidence_bundle);
      expect(version.gate_decision).toEqual(version.proposal_result.gate_decision);
      expect(version.created_at).toBe(proposal.created_at);
      expect(version.artifact.created_at).toBe(proposal.created_at);
      expect(event).toMatchObject({
        event_type: 'CREATED',
        from_state: null,
        to_state: 'DRAFT',
        actor_id: 'advisor_demo_1',
        related_version_no: 1,
        reason: {},
        occurred_at: proposal.created_at,
      });
      expect(event.event_id).toMatch(/^pwe_[0-9a-f]{12}$/);
    });

    it('records the correlation id in the event reason when it is sent', async () => {
      const res = await create(createBody('pf_create_corr'), undefined, {
        'X-Correlation-Id': 'corr-create-1',
      });
      expect(res.json.latest_workflow_event.reason).toEqual({ correlation_id: 'corr-create-1' });
      expect(res.json.version.proposal_result.correlation_id).toBe('corr-create-1');
    });

    it('replays the same key and body byte for byte, and conflicts on another body', async () => {
      const body = createBody('pf_create_replay');
      const first = await create(body, 'replay-key');
      const second = await create(body, 'replay-key');
      expect(second.status).toBe(200);
      expect(second.text).toBe(first.text);
      // Unknown fields are dropped before hashing: still the same request.
      expect((await create({ ...body, unknown_field: 1 }, 'replay-key')).text).toBe(first.text);
      const changedFlow = clone(body);
      changedFlow.simulate_request.proposed_cash_flows[0].amount = '1500.00';
      const conflict = await create(changedFlow, 'replay-key');
      expectDetail(conflict, 409, 'IDEMPOTENCY_KEY_CONFLICT: request hash mismatch');
      const changedTitle = clone(body);
      changedTitle.metadata.title = 'Another title';
      expect((await create(changedTitle, 'replay-key')).status).toBe(409);
      const rows = await t.store.db.query<{ n: number }>(
        "SELECT COUNT(*)::int AS n FROM proposal_records WHERE portfolio_id = 'pf_create_replay'",
      );
      expect(rows[0]!.n).toBe(1);
    });

    it('a replay after later activity returns the current state and latest event (QUIRK Q-P12)', async () => {
      const body = createBody('pf_replay_later');
      const first = await create(body, 'replay-later');
      const id = first.json.proposal.proposal_id;
      await transition(id, { event_type: 'SUBMITTED_FOR_RISK_REVIEW', expected_state: 'DRAFT' });
      const replay = await create(body, 'replay-later');
      expect(replay.json.proposal.current_state).toBe('RISK_REVIEW');
      expect(replay.json.latest_workflow_event.event_type).toBe('SUBMITTED_FOR_RISK_REVIEW');
      expect(replay.json.version).toEqual(first.json.version);
    });

    it('refuses a request without the simulation flag', async () => {
      const body = createBody('pf_flag_off');
      body.simulate_request.options.enable_proposal_simulation = false;
      expectDetail(
        await create(body),
        422,
        'PROPOSAL_SIMULATION_DISABLED: set options.enable_proposal_simulation=true',
      );
    });

    it('stores a BLOCKED simulation with its status', async () => {
      const res = await create({ created_by: 'advisor_demo_1', simulate_request: BLOCKED_REQUEST });
      expect(res.status).toBe(200);
      expect(res.json.version.status_at_creation).toBe('BLOCKED');
      expect(res.json.proposal.current_state).toBe('DRAFT');
    });

    it('names every invalid field, headers first', async () => {
      const res = await t.post('/rebalance/proposals', { simulate_request: { portfolio_snapshot: {} } });
      expect(res.status).toBe(422);
      const locs = res.json.detail.map((d: any) => d.loc.join('.'));
      expect(locs[0]).toBe('header.Idempotency-Key');
      expect(locs).toContain('body.simulate_request.market_data_snapshot');
      expect(locs).toContain('body.simulate_request.portfolio_snapshot.portfolio_id');
      const noActor = await create({ simulate_request: CREATE.simulate_request });
      expect(noActor.status).toBe(422);
      expect(noActor.json.detail).toEqual([
        { type: 'missing', loc: ['body', 'created_by'], msg: 'Field required', input: null },
      ]);
      const badMeta = await create({ ...createBody(), metadata: { title: 7 } });
      expect(badMeta.json.detail[0]).toMatchObject({
        loc: ['body', 'metadata', 'title'],
        type: 'string_type',
      });
      const notJson = await t.post('/rebalance/proposals', '{"created_by":', { 'Idempotency-Key': 'x' });
      expect(notJson.status).toBe(422);
      expect(notJson.json.detail[0].type).toBe('json_invalid');
    });
  });

  describe('reads (§6.4–6.6)', () => {
    let id: string;
    let created: Response;
    beforeAll(async () => {
      created = await create(createBody('pf_reads'), 'reads-key');
      id = created.json.proposal.proposal_id;
    });

    it('returns the proposal, its current version, gate decision, notes and allowed actions', async () => {
      const res = await t.get(`/rebalance/proposals/${id}`);
      expect(res.status).toBe(200);
      expect(res.json.proposal).toEqual(created.json.proposal);
      expect(res.json.current_version).toEqual(created.json.version);
      expect(res.json.last_gate_decision).toEqual(created.json.version.gate_decision);
      expect(res.json.advisor_notes).toBe(CREATE.metadata.advisor_notes);
      expect(res.json.allowed_actions.map((a: any) => a.event_type)).toEqual([
        'SUBMITTED_FOR_RISK_REVIEW',
        'SUBMITTED_FOR_COMPLIANCE_REVIEW',
        'CANCELLED',
        'NEW_VERSION_CREATED',
      ]);
    });

    it('the list by portfolio returns it first', async () => {
      const list = await t.get('/rebalance/proposals?portfolio_id=pf_reads');
      expect(list.json.items[0]).toEqual(created.json.proposal);
    });

    it('include_evidence=false blanks evidence_bundle only (QUIRK Q-P13)', async () => {
      const res = await t.get(`/rebalance/proposals/${id}?include_evidence=false`);
      expect(res.json.current_version.evidence_bundle).toEqual({});
      expect(res.json.current_version.artifact.evidence_bundle.hashes.artifact_hash).toBe(
        created.json.version.artifact_hash,
      );
      const v1 = await t.get(`/rebalance/proposals/${id}/versions/1`);
      expect(v1.json.evidence_bundle.hashes.artifact_hash).toBe(created.json.version.artifact_hash);
      expect(
        (await t.get(`/rebalance/proposals/${id}/versions/1?include_evidence=false`)).json.evidence_bundle,
      ).toEqual({});
      expect((await t.get(`/rebalance/proposals/${id}?include_evidence=maybe`)).status).toBe(422);
    });

    it('serves stored documents byte for byte; a client changing its copy changes nothing', async () => {
      const first = await t.get(`/rebalance/proposals/${id}/versions/1`);
      expect(first.text).toBe(JSON.stringify(created.json.version));
      first.json.proposal_result.status = 'BLOCKED';
      first.json.artifact.summary = null;
      const again = await t.get(`/rebalance/proposals/${id}/versions/1`);
      expect(again.text).toBe(first.text);
      expect(again.json.proposal_result.status).toBe('READY');
    });

    it('answers 404 for a missing proposal or version, 422 for a bad version number', async () => {
      expectDetail(await t.get('/rebalance/proposals/pp_missing'), 404, 'PROPOSAL_NOT_FOUND');
      expectDetail(await t.get(`/rebalance/proposals/${id}/versions/2`), 404, 'PROPOSAL_VERSION_NOT_FOUND');
      expectDetail(
        await t.get('/rebalance/proposals/pp_missing/versions/1'),
        404,
        'PROPOSAL_VERSION_NOT_FOUND',
      );
      const zero = await t.get(`/rebalance/proposals/${id}/versions/0`);
      expect(zero.status).toBe(422);
      expect(zero.json.detail[0].loc).toEqual(['path', 'version_no']);
    });
  });

  it('answers bad input with a 4xx naming the field, never a 500', async () => {
    const id = (await create(createBody('pf_bad_input'))).json.proposal.proposal_id;
    const nul = createBody('pf_bad_input');
    nul.simulate_request.portfolio_snapshot.portfolio_id = 'pf\u0000';
    const cases: [Response, string][] = [
      [await t.get('/rebalance/proposals/pp%00x'), 'path.proposal_id'],
      [await t.get(`/rebalance/proposals/${id}/versions/99999999999`), 'path.version_no'],
      [await t.get('/rebalance/proposals/idempotency/%00'), 'path.idempotency_key'],
      [await t.get('/rebalance/proposals/operations/by-correlation/%00'), 'path.correlation_id'],
      [await t.get('/rebalance/proposals?created_by=a%00'), 'query.created_by'],
      [await create({ ...createBody(), created_by: 'a\u0000' }), 'body.created_by'],
      [await create(nul), 'body.simulate_request.portfolio_snapshot.portfolio_id'],
      [await create([]), 'body'],
      [
        await transition(id, {
          event_type: 'CANCELLED',
          expected_state: 'DRAFT',
          related_version_no: 2 ** 31,
        }),
        'body.related_version_no',
      ],
      [
        await transition(id, { event_type: 'CANCELLED', expected_state: 'DRAFT', reason: [1] }),
        'body.reason',
      ],
      [
        await approve(id, { approval_type: 'RISK', approved: true, actor_id: 'r', details: 'ok' }),
        'body.details',
      ],
      [
        await transition(id, { event_type: 'CANCELLED', expected_state: 'DRAFT', actor_id: 'x'.repeat(257) }),
        'body.actor_id',
      ],
    ];
    for (const [res, loc] of cases) {
      expect(res.status, `${loc}: ${res.text}`).toBe(422);
      expect(
        res.json.detail.map((d: any) => d.loc.join('.')),
        res.text,
      ).toContain(loc);
    }
  });

  describe('list (§6.5)', () => {
    const ids: string[] = [];
    let times: string[] = [];
    beforeAll(async () => {
      for (let i = 0; i < 5; i++) {
        const res = await create(createBody('pf_list', i % 2 === 0 ? 'advisor_even' : 'advisor_odd'));
        ids.push(res.json.proposal.proposal_id);
        times.push(res.json.proposal.created_at);
      }
      await transition(ids[1]!, { event_type: 'CANCELLED', expected_state: 'DRAFT' });
      ids.reverse();
      times = times.reverse();
    });
    const listIds = async (query: string) => {
      const res = await t.get(`/rebalance/proposals?portfolio_id=pf_list&${query}`);
      expect(res.status, res.text).toBe(200);
      return res.json.items.map((p: any) => p.proposal_id);
    };

    it('lists newest first and pages with the cursor', async () => {
      expect(await listIds('limit=100')).toEqual(ids);
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const page: Response = await t.get(
          `/rebalance/proposals?portfolio_id=pf_list&limit=2${cursor ? `&cursor=${cursor}` : ''}`,
        );
        expect(page.json.items.length).toBeLessThanOrEqual(2);
        seen.push(...page.json.items.map((p: any) => p.proposal_id));
        cursor = page.json.next_cursor;
      } while (cursor);
      expect(seen).toEqual(ids);
    });

    it('filters by state and creator, combined with AND; an unknown state or cursor matches nothing', async () => {
      expect(await listIds('state=CANCELLED')).toEqual([ids[3]]);
      expect(await listIds('created_by=advisor_odd')).toEqual([ids[1], ids[3]]);
      expect(await listIds('created_by=advisor_odd&state=DRAFT')).toEqual([ids[1]]);
      expect(await listIds('state=NOT_A_STATE')).toEqual([]);
      const unknown = await t.get('/rebalance/proposals?cursor=pp_unknown');
      expect(unknown.json).toEqual({ items: [], next_cursor: null });
    });

    it('compares time bounds as instants; a bound without offset is UTC (QUIRK Q-P10)', async () => {
      const at = (i: number) => new Date(Date.parse(times[i]!));
      const naive = at(2).toISOString().replace('Z', '');
      expect(await listIds(`created_from=${naive}`)).toEqual(ids.slice(0, 3));
      expect(await listIds(`created_to=${naive}`)).toEqual(ids.slice(2));
      // The same instant written at +08:00.
      const plus8 = new Date(at(2).getTime() + 8 * 3600_000).toISOString().replace('Z', '+08:00');
      expect(
        await listIds(`created_from=${encodeURIComponent(plus8)}&created_to=${encodeURIComponent(plus8)}`),
      ).toEqual([ids[2]]);
      expect((await t.get('/rebalance/proposals?created_from=yesterday')).status).toBe(422);
    });

    it('bounds the page size to 1–100', async () => {
      expect((await t.get('/rebalance/proposals?limit=0')).status).toBe(422);
      expect((await t.get('/rebalance/proposals?limit=101')).status).toBe(422);
      expect((await t.get('/rebalance/proposals?limit=1')).json.items).toHaveLength(1);
    });
  });

  describe('versions (§6.7, GAP G-P4)', () => {
    it('creates version N+1 without changing the state', async () => {
      const id = (await create(createBody('pf_v'))).json.proposal.proposal_id;
      const res = await t.post(`/rebalance/proposals/${id}/versions`, versionBody('pf_v'), {
        'X-Correlation-Id': 'corr-v2',
      });
      expect(res.status).toBe(200);
      expect(res.json.proposal).toMatchObject({ current_version_no: 2, current_state: 'DRAFT' });
      expect(res.json.version).toMatchObject({ version_no: 2, created_by: 'advisor_demo_2' });
      expect(res.json.version.proposal_result.lineage.idempotency_key).toBeNull();
      expect(res.json.latest_workflow_event).toMatchObject({
        event_type: 'NEW_VERSION_CREATED',
        from_state: 'DRAFT',
        to_state: 'DRAFT',
        reason: { correlation_id: 'corr-v2' },
      });
      const current = await t.get(`/rebalance/proposals/${id}`);
      expect(current.json.current_version.version_no).toBe(2);
      expect(current.json.proposal.last_event_at).toBe(res.json.latest_workflow_event.occurred_at);
    });

    it('refuses another portfolio, a terminal proposal, the flag off and a missing proposal', async () => {
      const id = (await create(createBody('pf_v_checks'))).json.proposal.proposal_id;
      expectDetail(
        await t.post(`/rebalance/proposals/${id}/versions`, versionBody('pf_other')),
        422,
        'PORTFOLIO_CONTEXT_MISMATCH',
      );
      const off = versionBody('pf_v_checks');
      off.simulate_request.options.enable_proposal_simulation = false;
      expectDetail(
        await t.post(`/rebalance/proposals/${id}/versions`, off),
        422,
        'PROPOSAL_SIMULATION_DISABLED: set options.enable_proposal_simulation=true',
      );
      await transition(id, { event_type: 'CANCELLED', expected_state: 'DRAFT' });
      expectDetail(
        await t.post(`/rebalance/proposals/${id}/versions`, versionBody('pf_v_checks')),
        422,
        'PROPOSAL_TERMINAL_STATE: cannot create version',
      );
      expectDetail(
        await t.post('/rebalance/proposals/pp_missing/versions', versionBody()),
        404,
        'PROPOSAL_NOT_FOUND',
      );
    });

    it('sends an approved proposal back to the review that approved it (G-P4)', async () => {
      const id = await inCompliance('pf_v_reset');
      await approve(id, {
        approval_type: 'COMPLIANCE',
        approved: true,
        actor_id: 'compliance_demo_1',
        expected_state: 'COMPLIANCE_REVIEW',
      });
      const v2 = await t.post(`/rebalance/proposals/${id}/versions`, versionBody('pf_v_reset'));
      expect(v2.json.proposal.current_state).toBe('COMPLIANCE_REVIEW');
      expect(v2.json.latest_workflow_event).toMatchObject({
        from_state: 'AWAITING_CLIENT_CONSENT',
        to_state: 'COMPLIANCE_REVIEW',
      });
      await approve(id, {
        approval_type: 'COMPLIANCE',
        approved: true,
        actor_id: 'compliance_demo_1',
        expected_state: 'COMPLIANCE_REVIEW',
      });
      await approve(id, {
        approval_type: 'CLIENT_CONSENT',
        approved: true,
        actor_id: 'client_demo_1',
        expected_state: 'AWAITING_CLIENT_CONSENT',
      });
      const v3 = await t.post(
        `/rebalance/proposals/${id}/versions`,
        versionBody('pf_v_reset', 'advisor_demo_3'),
      );
      expect(v3.json.latest_workflow_event).toMatchObject({
        from_state: 'EXECUTION_READY',
        to_state: 'COMPLIANCE_REVIEW',
      });
      // Through risk review it is risk review again.
      const risk = (await create(createBody('pf_v_reset_risk'))).json.proposal.proposal_id;
      await transition(risk, { event_type: 'SUBMITTED_FOR_RISK_REVIEW', expected_state: 'DRAFT' });
      await approve(risk, {
        approval_type: 'RISK',
        approved: true,
        actor_id: 'risk_1',
        expected_state: 'RISK_REVIEW',
      });
      const back = await t.post(`/rebalance/proposals/${risk}/versions`, versionBody('pf_v_reset_risk'));
      expect(back.json.proposal.current_state).toBe('RISK_REVIEW');
    });
  });

  describe('workflow (§4, §8)', () => {
    it('requires expected_state and checks it before the transition table', async () => {
      const id = (await create(createBody('pf_wf'))).json.proposal.proposal_id;
      expectDetail(
        await transition(id, { event_type: 'SUBMITTED_FOR_RISK_REVIEW' }),
        409,
        'STATE_CONFLICT: expected_state is required',
      );
      expectDetail(
        await transition(id, { event_type: 'EXECUTED', expected_state: 'EXECUTION_READY' }),
        409,
        'STATE_CONFLICT: expected_state mismatch',
      );
      expectDetail(
        await transition(id, { event_type: 'EXECUTED', expected_state: 'DRAFT' }),
        422,
        'INVALID_TRANSITION',
      );
      expectDetail(
        await transition(id, { event_type: 'RISK_APPROVED', expected_state: 'DRAFT' }),
        422,
        'INVALID_TRANSITION',
      );
      expectDetail(
        await transition(id, { event_type: 'EXECUTION_REQUESTED', expected_state: 'DRAFT' }),
        422,
        'INVALID_TRANSITION',
      );
      expectDetail(
        await transition('pp_missing', { event_type: 'CANCELLED', expected_state: 'DRAFT' }),
        404,
        'PROPOSAL_NOT_FOUND',
      );
      const bad = await transition(id, {
        event_type: 'FINISHED',
        expected_state: 'LIMBO',
        related_version_no: 0,
      });
      expect(bad.status).toBe(422);
      expect(bad.json.detail.map((d: any) => d.loc.join('.'))).toEqual([
        'body.event_type',
        'body.related_version_no',
        'body.expected_state',
      ]);
      // Sent as text: the reason keeps its number tokens as written.
      const cancelled = await t.post(
        `/rebalance/proposals/${id}/transitions`,
        '{"event_type":"CANCELLED","expected_state":"DRAFT","actor_id":"a1","reason":{"comment":"client withdrew","amount":1.10}}',
      );
      expect(cancelled.status).toBe(200);
      expect(cancelled.json.current_state).toBe('CANCELLED');
      expect(cancelled.text).toContain('"amount":1.10');
      expectDetail(
        await transition(id, { event_type: 'CANCELLED', expected_state: 'CANCELLED' }),
        422,
        'INVALID_TRANSITION',
      );
    });

    it('records approvals only through approvals (GAP G-P1)', async () => {
      const id = await inCompliance('pf_gp1');
      for (const event of ['COMPLIANCE_APPROVED', 'REJECTED'])
        expectDetail(
          await transition(id, { event_type: event, expected_state: 'COMPLIANCE_REVIEW' }),
          422,
          `INVALID_TRANSITION: ${event} is recorded through POST /rebalance/proposals/{proposal_id}/approvals`,
        );
      expect((await t.get(`/rebalance/proposals/${id}`)).json.proposal.current_state).toBe(
        'COMPLIANCE_REVIEW',
      );
    });

    it('checks the approval state and expected_state', async () => {
      const id = (await create(createBody('pf_appr'))).json.proposal.proposal_id;
      expectDetail(
        await approve(id, {
          approval_type: 'COMPLIANCE',
          approved: true,
          actor_id: 'c1',
          expected_state: 'DRAFT',
        }),
        422,
        'INVALID_APPROVAL_STATE',
      );
      expectDetail(
        await approve(id, {
          approval_type: 'COMPLIANCE',
          approved: true,
          actor_id: 'c1',
          expected_state: 'COMPLIANCE_REVIEW',
        }),
        409,
        'STATE_CONFLICT: expected_state mismatch',
      );
      expectDetail(
        await approve(id, { approval_type: 'COMPLIANCE', approved: true, actor_id: 'c1' }),
        409,
        'STATE_CONFLICT: expected_state is required',
      );
      const invalid = await approve(id, { approval_type: 'LEGAL', approved: 'perhaps', actor_id: 'c1' });
      expect(invalid.json.detail.map((d: any) => d.loc.join('.'))).toEqual([
        'body.approval_type',
        'body.approved',
      ]);
    });

    it('declined consent after risk approval ends REJECTED with a REJECTED event', async () => {
      const id = (await create(createBody('pf_decline'))).json.proposal.proposal_id;
      await transition(id, { event_type: 'SUBMITTED_FOR_RISK_REVIEW', expected_state: 'DRAFT' });
      const risk = await approve(id, {
        approval_type: 'RISK',
        approved: true,
        actor_id: 'risk_1',
        expected_state: 'RISK_REVIEW',
        details: { comment: 'ok' },
      });
      expect(risk.json.current_state).toBe('AWAITING_CLIENT_CONSENT');
      expect(risk.json.latest_workflow_event.event_type).toBe('RISK_APPROVED');
      const declined = await approve(id, {
        approval_type: 'CLIENT_CONSENT',
        approved: false,
        actor_id: 'client_1',
        expected_state: 'AWAITING_CLIENT_CONSENT',
      });
      expect(declined.json.current_state).toBe('REJECTED');
      expect(declined.json.latest_workflow_event).toMatchObject({
        event_type: 'REJECTED',
        from_state: 'AWAITING_CLIENT_CONSENT',
        to_state: 'REJECTED',
        reason: {},
      });
      expect(declined.json.approval).toMatchObject({ approval_type: 'CLIENT_CONSENT', approved: false });
      expect(declined.json.approval.approval_id).toMatch(/^pap_[0-9a-f]{12}$/);
    });

    it('four eyes: the creators of the proposal and of its current version cannot approve it', async () => {
      const id = (await create(createBody('pf_4eyes', 'maker_1'))).json.proposal.proposal_id;
      await t.post(`/rebalance/proposals/${id}/versions`, versionBody('pf_4eyes', 'maker_2'));
      await transition(id, { event_type: 'SUBMITTED_FOR_COMPLIANCE_REVIEW', expected_state: 'DRAFT' });
      const body = { approval_type: 'COMPLIANCE', approved: true, expected_state: 'COMPLIANCE_REVIEW' };
      const violation =
        'FOUR_EYES_VIOLATION: the creator of a proposal or of its current version cannot record its RISK or COMPLIANCE approval';
      expectDetail(await approve(id, { ...body, actor_id: 'maker_1' }), 403, violation);
      expectDetail(await approve(id, { ...body, actor_id: 'maker_2' }), 403, violation);
      expectDetail(await approve(id, { ...body, approved: false, actor_id: 'maker_2' }), 403, violation);
      expect((await approve(id, { ...body, actor_id: 'checker_1' })).json.current_state).toBe(
        'AWAITING_CLIENT_CONSENT',
      );
      // Consent is not a review: the advisor may record it.
      const consent = await approve(id, {
        approval_type: 'CLIENT_CONSENT',
        approved: true,
        actor_id: 'maker_1',
        expected_state: 'AWAITING_CLIENT_CONSENT',
      });
      expect(consent.json.current_state).toBe('EXECUTION_READY');
    });

    it('a BLOCKED current version cannot be approved, can be declined, and a new version unblocks it (G-P3)', async () => {
      const blocked = clone(BLOCKED_REQUEST);
      blocked.portfolio_snapshot.portfolio_id = 'pf_blocked';
      const id = (await create({ created_by: 'advisor_demo_1', simulate_request: blocked })).json.proposal
        .proposal_id;
      await transition(id, { event_type: 'SUBMITTED_FOR_COMPLIANCE_REVIEW', expected_state: 'DRAFT' });
      const body = { approval_type: 'COMPLIANCE', actor_id: 'c1', expected_state: 'COMPLIANCE_REVIEW' };
      expectDetail(
        await approve(id, { ...body, approved: true }),
        422,
        'PROPOSAL_VERSION_BLOCKED: the current version is BLOCKED; create a new version before approving or executing',
      );
      const actions = (await t.get(`/rebalance/proposals/${id}`)).json.allowed_actions;
      expect(actions.filter((a: any) => a.endpoint === 'approvals')).toEqual([
        {
          endpoint: 'approvals',
          event_type: 'REJECTED',
          approval_type: 'COMPLIANCE',
          approved: false,
          to_state: 'REJECTED',
        },
      ]);
      const fixed = clone(blocked);
      fixed.market_data_snapshot.fx_rates = [{ pair: 'USD/SGD', rate: '1.35' }];
      const v2 = await t.post(`/rebalance/proposals/${id}/versions`, {
        created_by: 'advisor_demo_2',
        simulate_request: fixed,
      });
      expect(v2.json.version.status_at_creation).not.toBe('BLOCKED');
      expect((await approve(id, { ...body, approved: true })).json.current_state).toBe(
        'AWAITING_CLIENT_CONSENT',
      );
    });

    it('PROPOSAL_REQUIRE_EXPECTED_STATE=false lets actions omit expected_state (read at start-up)', async () => {
      await t.restart({ PROPOSAL_REQUIRE_EXPECTED_STATE: 'false' });
      try {
        const id = (await create(createBody('pf_no_expected'))).json.proposal.proposal_id;
        expect((await transition(id, { event_type: 'SUBMITTED_FOR_RISK_REVIEW' })).json.current_state).toBe(
          'RISK_REVIEW',
        );
        expectDetail(
          await transition(id, { event_type: 'CANCELLED', expected_state: 'DRAFT' }),
          409,
          'STATE_CONFLICT: expected_state mismatch',
        );
        expect((await t.get('/rebalance/proposals/supportability/config')).json.require_expected_state).toBe(
          false,
        );
      } finally {
        await t.restart({});
      }
    });
  });

  describe('support reads (§6.11–6.14) and routing (QUIRK Q-P8)', () => {
    it('timeline, approvals, lineage and the idempotency look-up', async () => {
      const created = await create(createBody('pf_support'), 'support-key');
      const id = created.json.proposal.proposal_id;
      const v2 = await t.post(`/rebalance/proposals/${id}/versions`, versionBody('pf_support'));
      await transition(id, { event_type: 'SUBMITTED_FOR_RISK_REVIEW', expected_state: 'DRAFT' });
      await approve(id, {
        approval_type: 'RISK',
        approved: true,
        actor_id: 'risk_1',
        expected_state: 'RISK_REVIEW',
      });

      const events = (await t.get(`/rebalance/proposals/${id}/workflow-events`)).json;
      expect(events.proposal_id).toBe(id);
      expect(events.events.length).toBeGreaterThanOrEqual(3);
      expect(events.events[0].event_type).toBe('CREATED');
      expect(events.events.at(-1).event_type).toBe('RISK_APPROVED');

      const approvals = (await t.get(`/rebalance/proposals/${id}/approvals`)).json;
      expect(approvals.approvals).toHaveLength(1);
      expect(approvals.approvals[0]).toMatchObject({
        approval_type: 'RISK',
        actor_id: 'risk_1',
        details: {},
      });

      const lineage = (await t.get(`/rebalance/proposals/${id}/lineage`)).json;
      expect(lineage.proposal.current_version_no).toBe(2);
      expect(lineage.versions).toEqual(
        [created.json.version, v2.json.version].map((v: any) => ({
          proposal_version_id: v.proposal_version_id,
          version_no: v.version_no,
          created_at: v.created_at,
          status_at_creation: v.status_at_creation,
          request_hash: v.request_hash,
          simulation_hash: v.simulation_hash,
          artifact_hash: v.artifact_hash,
        })),
      );

      const mapping = await t.get('/rebalance/proposals/idempotency/support-key');
      expect(mapping.json).toEqual({
        idempotency_key: 'support-key',
        request_hash: created.json.version.request_hash,
        proposal_id: id,
        proposal_version_no: 1,
        created_at: created.json.proposal.created_at,
      });
      expectDetail(
        await t.get('/rebalance/proposals/idempotency/none'),
        404,
        'PROPOSAL_IDEMPOTENCY_KEY_NOT_FOUND',
      );
      for (const sub of ['workflow-events', 'approvals', 'lineage'])
        expectDetail(await t.get(`/rebalance/proposals/pp_missing/${sub}`), 404, 'PROPOSAL_NOT_FOUND');
    });

    it('routes idempotency keys named like sub-resources to the look-up', async () => {
      for (const key of ['approvals', 'lineage', 'workflow-events']) {
        const res = await create(createBody(`pf_route_${key}`), key);
        const mapping = await t.get(`/rebalance/proposals/idempotency/${key}`);
        expect(mapping.status).toBe(200);
        expect(mapping.json.proposal_id).toBe(res.json.proposal.proposal_id);
      }
    });
  });

  describe('configuration (§2, §6.1) and store readiness (§11.1)', () => {
    it('reports the defaults and the store', async () => {
      const res = await t.get('/rebalance/proposals/supportability/config');
      expect(res.json).toEqual({
        store_backend: backend === 'postgres' ? 'POSTGRES' : 'EMBEDDED_POSTGRES',
        backend_ready: true,
        backend_init_error: null,
        lifecycle_enabled: true,
        support_apis_enabled: true,
        async_operations_enabled: true,
        store_evidence_bundle: true,
        require_expected_state: true,
        allow_portfolio_id_change_on_new_version: false,
        require_proposal_simulation_flag: true,
      });
    });

    it('gates: lifecycle, support and async flags, checked after validation (QUIRK Q-P7, Q-P2)', async () => {
      const id = (await create(createBody('pf_gates'), 'gates-key')).json.proposal.proposal_id;
      const every: [string, string, unknown?][] = [
        ['POST', '/rebalance/proposals', createBody()],
        ['POST', '/rebalance/proposals/async', createBody()],
        ['GET', `/rebalance/proposals/${id}`],
        ['GET', '/rebalance/proposals'],
        ['GET', `/rebalance/proposals/${id}/versions/1`],
        ['POST', `/rebalance/proposals/${id}/versions`, versionBody('pf_gates')],
        ['POST', `/rebalance/proposals/${id}/versions/async`, versionBody('pf_gates')],
        [
          'POST',
          `/rebalance/proposals/${id}/transitions`,
          { event_type: 'CANCELLED', expected_state: 'DRAFT', actor_id: 'a' },
        ],
        [
          'POST',
          `/rebalance/proposals/${id}/approvals`,
          { approval_type: 'RISK', approved: true, actor_id: 'r', expected_state: 'RISK_REVIEW' },
        ],
        ['GET', `/rebalance/proposals/${id}/workflow-events`],
        ['GET', `/rebalance/proposals/${id}/approvals`],
        ['GET', `/rebalance/proposals/${id}/lineage`],
        ['GET', '/rebalance/proposals/idempotency/gates-key'],
        ['GET', '/rebalance/proposals/operations/pop_x'],
        ['GET', '/rebalance/proposals/operations/by-correlation/corr_x'],
      ];
      const call = ([method, url, body]: [string, string, unknown?]) =>
        method === 'GET' ? t.get(url) : t.post(url, body, { 'Idempotency-Key': 'gates-2' });
      const support = new Set([9, 10, 11, 12]);
      const asyncRoutes = new Set([1, 6, 13, 14]);
      try {
        await t.restart({ PROPOSAL_WORKFLOW_LIFECYCLE_ENABLED: 'false' });
        for (const c of every) expectDetail(await call(c), 404, 'PROPOSAL_WORKFLOW_LIFECYCLE_DISABLED');
        expect((await t.post('/rebalance/proposals', {}, { 'Idempotency-Key': 'k' })).status).toBe(422);
        const config = await t.get('/rebalance/proposals/supportability/config');
        expect(config.status).toBe(200);
        expect(config.json.lifecycle_enabled).toBe(false);

        await t.restart({ PROPOSAL_SUPPORT_APIS_ENABLED: '' });
        for (const [i, c] of every.entries())
          if (support.has(i)) expectDetail(await call(c), 404, 'PROPOSAL_SUPPORT_APIS_DISABLED');
        expect((await t.get(`/rebalance/proposals/${id}`)).status).toBe(200);

        await t.restart({ PROPOSAL_ASYNC_OPERATIONS_ENABLED: 'off' });
        for (const [i, c] of every.entries())
          if (asyncRoutes.has(i)) expectDetail(await call(c), 404, 'PROPOSAL_ASYNC_OPERATIONS_DISABLED');
        expect((await t.get('/rebalance/proposals/supportability/config')).json).toMatchObject({
          lifecycle_enabled: true,
          support_apis_enabled: true,
          async_operations_enabled: false,
        });
      } finally {
        await t.restart({});
      }
    });

    it('start-up settings: evidence not stored, portfolio change allowed, simulation flag not required', async () => {
      try {
        await t.restart({
          PROPOSAL_STORE_EVIDENCE_BUNDLE: 'no',
          PROPOSAL_ALLOW_PORTFOLIO_CHANGE_ON_NEW_VERSION: 'YES',
          PROPOSAL_REQUIRE_SIMULATION_FLAG: '0',
        });
        expect((await t.get('/rebalance/proposals/supportability/config')).json).toMatchObject({
          store_evidence_bundle: false,
          allow_portfolio_id_change_on_new_version: true,
          require_proposal_simulation_flag: false,
        });
        const body = createBody('pf_settings');
        body.simulate_request.options.enable_proposal_simulation = false;
        const created = await create(body, 'settings-key');
        expect(created.status).toBe(200);
        expect(created.json.version.evidence_bundle).toEqual({});
        expect(created.json.version.artifact.evidence_bundle.hashes.artifact_hash).toBe(
          created.json.version.artifact_hash,
        );
        const id = created.json.proposal.proposal_id;
        const moved = await t.post(`/rebalance/proposals/${id}/versions`, versionBody('pf_settings_other'));
        expect(moved.status).toBe(200);
        expect(moved.json.proposal.portfolio_id).toBe('pf_settings'); // QUIRK Q-P11
        // The idempotency check precedes the flag check: the stored create replays under stricter rules.
        await t.restart({});
        expect((await create(body, 'settings-key')).status).toBe(200);
        expect((await create(body, 'settings-key-2')).status).toBe(422);
      } finally {
        await t.restart({});
      }
    });

    it('reports a migration drift and a database that does not answer (503)', async () => {
      await t.store.db.query(
        "UPDATE schema_migrations SET checksum = 'drift' WHERE version = 'proposals:0002'",
      );
      try {
        const drift = await t.get('/rebalance/proposals/supportability/config');
        expect(drift.json).toMatchObject({
          backend_ready: false,
          backend_init_error: 'POSTGRES_MIGRATION_CHECKSUM_MISMATCH:proposals:0002',
        });
      } finally {
        const sql = MIGRATIONS.find((m) => m.namespace === 'proposals' && m.version === '0002')!.sql;
        await t.store.db.query(
          "UPDATE schema_migrations SET checksum = $1 WHERE version = 'proposals:0002'",
          [createHash('sha256').update(sql, 'utf8').digest('hex')],
        );
      }
      expect((await t.get('/rebalance/proposals/supportability/config')).json.backend_ready).toBe(true);

      // A server nobody listens on.
      const unreachable = await openDatabase({
        url: `postgres://postgres@127.0.0.1:${await freePort()}/none`,
      });
      const app = await buildApp({ db: unreachable, env: {} });
      try {
        const config = await app.inject({ method: 'GET', url: '/rebalance/proposals/supportability/config' });
        expect(config.statusCode).toBe(200);
        expect(config.json()).toMatchObject({
          store_backend: 'POSTGRES',
          backend_ready: false,
          backend_init_error: 'PROPOSAL_POSTGRES_CONNECTION_FAILED',
        });
        for (const request of [
          { method: 'GET' as const, url: '/rebalance/proposals/pp_x' },
          {
            method: 'POST' as const,
            url: '/rebalance/proposals',
            headers: { 'content-type': 'application/json', 'Idempotency-Key': 'k' },
            payload: JSON.stringify(createBody()),
          },
        ]) {
          const res = await app.inject(request);
          expect(res.statusCode).toBe(503);
          expect(res.json()).toEqual({ detail: 'PROPOSAL_POSTGRES_CONNECTION_FAILED' });
        }
      } finally {
        await app.close();
        await unreachable.close();
      }
    });
  });

  it('keeps every proposal, version, event and approval across a restart', async () => {
    const snapshot = async () => {
      const list = await t.get('/rebalance/proposals?limit=100');
      const out: string[] = [list.text];
      for (const p of list.json.items) {
        out.push((await t.get(`/rebalance/proposals/${p.proposal_id}`)).text);
        out.push((await t.get(`/rebalance/proposals/${p.proposal_id}/workflow-events`)).text);
        out.push((await t.get(`/rebalance/proposals/${p.proposal_id}/approvals`)).text);
        out.push((await t.get(`/rebalance/proposals/${p.proposal_id}/lineage`)).text);
      }
      return out;
    };
    const before = await snapshot();
    expect(before.length).toBeGreaterThan(20);
    await t.restart({});
    expect(await snapshot()).toEqual(before);
    const counts = await t.store.db.query<{ n: number }>(
      `SELECT (SELECT COUNT(*) FROM proposal_records) + (SELECT COUNT(*) FROM proposal_versions)
            + (SELECT COUNT(*) FROM proposal_workflow_events) + (SELECT COUNT(*) FROM proposal_approvals) AS n`,
    );
    expect(Number(counts[0]!.n)).toBeGreaterThan(60);
  });
});
