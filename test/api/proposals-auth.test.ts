/**
 * Identity on the proposal lifecycle (docs/decisions/0021): the role matrix of the new routes,
 * the acting user taken from the token, four eyes, tenant isolation and the audit line of every
 * mutation, on every test backend.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/api/app.js';
import { BACKENDS } from '../support/store.js';
import { demo, type Response, startTestApp, type TestApp } from '../support/http.js';
import { signUser } from '../support/jwt.js';

const SECRET = 'a-proposal-test-secret-of-sufficient-length-42';
const AUTH_ENV = { KEEL_JWT_SECRET: SECRET };
const CREATE = JSON.parse(demo('20_advisory_proposal_persist_create.json'));
const VERSION = JSON.parse(demo('21_advisory_proposal_new_version.json'));

const sign = (sub: string, roles: string[], tenant = 'bank-a') => signUser(SECRET, sub, roles, tenant);

/** Bodies without an actor: it comes from the token. */
function createBody(portfolio: string) {
  const { created_by: _omitted, ...body } = JSON.parse(JSON.stringify(CREATE));
  body.simulate_request.portfolio_snapshot.portfolio_id = portfolio;
  return body;
}
function versionBody(portfolio: string) {
  const { created_by: _omitted, ...body } = JSON.parse(JSON.stringify(VERSION));
  body.simulate_request.portfolio_snapshot.portfolio_id = portfolio;
  return body;
}

describe.each(BACKENDS)('proposal lifecycle access control (%s)', (backend) => {
  let t: TestApp;
  const as: Record<string, Record<string, string>> = {};
  let keys = 0;

  beforeAll(async () => {
    t = await startTestApp(backend, AUTH_ENV, undefined, { workers: 1 });
    const users: [string, string, string[], string?][] = [
      ['advisor', 'advisor_a', ['advisor']],
      ['advisor2', 'advisor_b', ['advisor']],
      ['pm', 'pm_a', ['portfolio_manager']],
      ['compliance', 'compliance_a', ['compliance']],
      ['support', 'support_a', ['support']],
      ['nobody', 'nobody_a', []],
      ['adminAsAdvisorA', 'advisor_a', ['admin']],
      ['adminAsAdvisorB', 'advisor_b', ['admin']],
      ['otherTenant', 'admin_b', ['admin'], 'bank-b'],
      ['otherAdvisor', 'advisor_a', ['advisor'], 'bank-b'],
    ];
    for (const [name, sub, roles, tenant] of users)
      as[name] = { Authorization: `Bearer ${await sign(sub, roles, tenant)}` };
  });
  afterAll(async () => t.close());

  const create = (who: string, portfolio: string, key = `auth-${++keys}`) =>
    t.post('/rebalance/proposals', createBody(portfolio), { ...as[who], 'Idempotency-Key': key });
  const submit = (who: string, id: string) =>
    t.post(
      `/rebalance/proposals/${id}/transitions`,
      { event_type: 'SUBMITTED_FOR_COMPLIANCE_REVIEW', expected_state: 'DRAFT' },
      as[who],
    );
  const approve = (who: string, id: string, body: Record<string, unknown>) =>
    t.post(`/rebalance/proposals/${id}/approvals`, body, as[who]);
  const expectDetail = (res: Response, status: number, detail: string) => {
    expect(res.status, res.text).toBe(status);
    expect(res.json).toEqual({ detail });
  };
  const missing = (p: string) => `FORBIDDEN: missing permission ${p}`;

  it('role matrix: advisors write, compliance approves, support reads, consent and execution are writes', async () => {
    // Create: proposals:write.
    expectDetail(await create('compliance', 'pf_auth_matrix'), 403, missing('proposals:write'));
    expectDetail(await create('support', 'pf_auth_matrix'), 403, missing('proposals:write'));
    const created = await create('advisor', 'pf_auth_matrix', 'matrix-key');
    expect(created.status).toBe(200);
    expect(created.json.proposal.created_by).toBe('advisor_a');
    expect(created.json.latest_workflow_event.actor_id).toBe('advisor_a');
    const id = created.json.proposal.proposal_id;
    const async = await t.post('/rebalance/proposals/async', createBody('pf_auth_async'), {
      ...as.support,
      'Idempotency-Key': 'x',
    });
    expectDetail(async, 403, missing('proposals:write'));

    // Versions and transitions: proposals:write.
    for (const who of ['compliance', 'support']) {
      expectDetail(
        await t.post(`/rebalance/proposals/${id}/versions`, versionBody('pf_auth_matrix'), as[who]),
        403,
        missing('proposals:write'),
      );
      expectDetail(
        await t.post(`/rebalance/proposals/${id}/versions/async`, versionBody('pf_auth_matrix'), as[who]),
        403,
        missing('proposals:write'),
      );
      expectDetail(await submit(who, id), 403, missing('proposals:write'));
    }
    const v2 = await t.post(
      `/rebalance/proposals/${id}/versions`,
      versionBody('pf_auth_matrix'),
      as.advisor2,
    );
    expect(v2.json.version.created_by).toBe('advisor_b');
    expect((await submit('advisor', id)).json.current_state).toBe('COMPLIANCE_REVIEW');

    // Review approvals: proposals:approve.
    const compliance = { approval_type: 'COMPLIANCE', approved: true, expected_state: 'COMPLIANCE_REVIEW' };
    expectDetail(await approve('advisor', id, compliance), 403, missing('proposals:approve'));
    expectDetail(await approve('support', id, compliance), 403, missing('proposals:approve'));
    expectDetail(await approve('nobody', id, compliance), 403, missing('proposals:approve'));
    const approved = await approve('compliance', id, compliance);
    expect(approved.status).toBe(200);
    expect(approved.json.approval.actor_id).toBe('compliance_a');

    // Consent: proposals:write.
    const consent = {
      approval_type: 'CLIENT_CONSENT',
      approved: true,
      expected_state: 'AWAITING_CLIENT_CONSENT',
      details: { client_id: 'client_demo_1', channel: 'IN_PERSON' },
    };
    expectDetail(await approve('compliance', id, consent), 403, missing('proposals:write'));
    const consented = await approve('advisor', id, consent);
    expect(consented.json.current_state).toBe('EXECUTION_READY');
    expect(consented.json.approval.actor_id).toBe('advisor_a');

    // Execution: proposals:write.
    const executed = { event_type: 'EXECUTED', expected_state: 'EXECUTION_READY' };
    expectDetail(
      await t.post(`/rebalance/proposals/${id}/transitions`, executed, as.compliance),
      403,
      missing('proposals:write'),
    );
    expect((await t.post(`/rebalance/proposals/${id}/transitions`, executed, as.pm)).json.current_state).toBe(
      'EXECUTED',
    );

    // Reads: runs:read, which every role but none has.
    const reads = [
      '/rebalance/proposals/supportability/config',
      '/rebalance/proposals?limit=5',
      `/rebalance/proposals/${id}`,
      `/rebalance/proposals/${id}/versions/2`,
      `/rebalance/proposals/${id}/workflow-events`,
      `/rebalance/proposals/${id}/approvals`,
      `/rebalance/proposals/${id}/lineage`,
      '/rebalance/proposals/idempotency/matrix-key',
    ];
    for (const url of reads) {
      for (const who of ['advisor', 'compliance', 'support', 'pm'])
        expect((await t.get(url, as[who])).status).toBe(200);
      expectDetail(await t.get(url, as.nobody), 403, missing('runs:read'));
      expect((await t.get(url)).status).toBe(401);
    }
  });

  it('takes the actor from the token: a contradicting body is 403, a matching one is accepted', async () => {
    const body = { ...createBody('pf_auth_actor'), created_by: 'someone_else' };
    expectDetail(
      await t.post('/rebalance/proposals', body, { ...as.advisor, 'Idempotency-Key': 'actor-1' }),
      403,
      'ACTOR_MISMATCH: created_by must be the authenticated user',
    );
    expectDetail(
      await t.post('/rebalance/proposals/async', body, { ...as.advisor, 'Idempotency-Key': 'actor-1' }),
      403,
      'ACTOR_MISMATCH: created_by must be the authenticated user',
    );
    const same = await t.post(
      '/rebalance/proposals',
      { ...createBody('pf_auth_actor'), created_by: 'advisor_a' },
      { ...as.advisor, 'Idempotency-Key': 'actor-2' },
    );
    expect(same.status).toBe(200);
    // Filled in or sent, it is the same request: the replay matches.
    const replay = await t.post('/rebalance/proposals', createBody('pf_auth_actor'), {
      ...as.advisor,
      'Idempotency-Key': 'actor-2',
    });
    expect(replay.text).toBe(same.text);
    const id = same.json.proposal.proposal_id;
    expectDetail(
      await t.post(
        `/rebalance/proposals/${id}/versions`,
        { ...versionBody('pf_auth_actor'), created_by: 'advisor_demo_2' },
        as.advisor2,
      ),
      403,
      'ACTOR_MISMATCH: created_by must be the authenticated user',
    );
    expectDetail(
      await t.post(
        `/rebalance/proposals/${id}/transitions`,
        { event_type: 'CANCELLED', expected_state: 'DRAFT', actor_id: 'advisor_demo_1' },
        as.advisor,
      ),
      403,
      'ACTOR_MISMATCH: actor_id must be the authenticated user',
    );
    await submit('advisor', id);
    expectDetail(
      await approve('compliance', id, {
        approval_type: 'COMPLIANCE',
        approved: true,
        expected_state: 'COMPLIANCE_REVIEW',
        actor_id: 'compliance_demo_1',
      }),
      403,
      'ACTOR_MISMATCH: actor_id must be the authenticated user',
    );
    // An async create records the token's user as creator.
    const op = await t.post('/rebalance/proposals/async', createBody('pf_auth_async_actor'), {
      ...as.advisor2,
      'Idempotency-Key': 'actor-async',
    });
    expect(op.status).toBe(202);
    let status: Response;
    const deadline = Date.now() + 30_000;
    do {
      await new Promise((r) => setTimeout(r, 100));
      status = await t.get(`/rebalance/proposals/operations/${op.json.operation_id}`, as.support);
    } while (!['SUCCEEDED', 'FAILED'].includes(status.json.status) && Date.now() < deadline);
    expect(status.json.created_by).toBe('advisor_b');
    expect(status.json.result.proposal.created_by).toBe('advisor_b');
  });

  it('four eyes: neither the creator of the proposal nor of its current version may approve it', async () => {
    const id = (await create('advisor', 'pf_auth_4eyes')).json.proposal.proposal_id;
    await t.post(`/rebalance/proposals/${id}/versions`, versionBody('pf_auth_4eyes'), as.advisor2);
    await submit('advisor', id);
    const body = { approval_type: 'COMPLIANCE', approved: true, expected_state: 'COMPLIANCE_REVIEW' };
    const violation =
      'FOUR_EYES_VIOLATION: the creator of a proposal or of its current version cannot record its RISK or COMPLIANCE approval';
    expectDetail(await approve('adminAsAdvisorA', id, body), 403, violation);
    expectDetail(await approve('adminAsAdvisorB', id, body), 403, violation);
    // The allowed actions say so in advance.
    const approvalsFor = async (who: string) =>
      (await t.get(`/rebalance/proposals/${id}`, as[who])).json.allowed_actions
        .filter((a: any) => a.endpoint === 'approvals')
        .map((a: any) => `${a.approval_type}:${a.approved}`);
    expect(await approvalsFor('adminAsAdvisorA')).toEqual([]);
    expect(await approvalsFor('compliance')).toEqual(['COMPLIANCE:true', 'COMPLIANCE:false']);
    expect(await approvalsFor('support')).toEqual([]);
    expect((await t.get(`/rebalance/proposals/${id}`, as.support)).json.allowed_actions).toEqual([]);
    expect((await approve('compliance', id, body)).json.current_state).toBe('AWAITING_CLIENT_CONSENT');
  });

  it('keeps tenants apart: another tenant’s proposal, key and operation are not found', async () => {
    const created = await create('advisor', 'pf_auth_tenant', 'tenant-key');
    const id = created.json.proposal.proposal_id;
    const op = await t.post('/rebalance/proposals/async', createBody('pf_auth_tenant_async'), {
      ...as.advisor,
      'Idempotency-Key': 'tenant-async',
      'X-Correlation-Id': 'corr-tenant',
    });
    const b = as.otherTenant!;
    expectDetail(await t.get(`/rebalance/proposals/${id}`, b), 404, 'PROPOSAL_NOT_FOUND');
    expectDetail(await t.get(`/rebalance/proposals/${id}/versions/1`, b), 404, 'PROPOSAL_VERSION_NOT_FOUND');
    for (const sub of ['workflow-events', 'approvals', 'lineage'])
      expectDetail(await t.get(`/rebalance/proposals/${id}/${sub}`, b), 404, 'PROPOSAL_NOT_FOUND');
    expectDetail(
      await t.post(`/rebalance/proposals/${id}/versions`, versionBody('pf_auth_tenant'), b),
      404,
      'PROPOSAL_NOT_FOUND',
    );
    expectDetail(
      await t.post(
        `/rebalance/proposals/${id}/transitions`,
        { event_type: 'CANCELLED', expected_state: 'DRAFT' },
        b,
      ),
      404,
      'PROPOSAL_NOT_FOUND',
    );
    expectDetail(
      await approve('otherTenant', id, {
        approval_type: 'RISK',
        approved: true,
        expected_state: 'RISK_REVIEW',
      }),
      404,
      'PROPOSAL_NOT_FOUND',
    );
    expectDetail(
      await t.get('/rebalance/proposals/idempotency/tenant-key', b),
      404,
      'PROPOSAL_IDEMPOTENCY_KEY_NOT_FOUND',
    );
    expectDetail(
      await t.get(`/rebalance/proposals/operations/${op.json.operation_id}`, b),
      404,
      'PROPOSAL_ASYNC_OPERATION_NOT_FOUND',
    );
    expectDetail(
      await t.get('/rebalance/proposals/operations/by-correlation/corr-tenant', b),
      404,
      'PROPOSAL_ASYNC_OPERATION_NOT_FOUND',
    );
    expect((await t.get('/rebalance/proposals?portfolio_id=pf_auth_tenant', b)).json).toEqual({
      items: [],
      next_cursor: null,
    });
    // The same key in another tenant is another key: another body is no conflict there.
    const other = await t.post('/rebalance/proposals', createBody('pf_auth_tenant_b'), {
      ...as.otherAdvisor,
      'Idempotency-Key': 'tenant-key',
    });
    expect(other.status).toBe(200);
    expect(other.json.proposal.proposal_id).not.toBe(id);
    expect((await t.get(`/rebalance/proposals/${id}`, as.advisor)).json.proposal.portfolio_id).toBe(
      'pf_auth_tenant',
    );
    const rows = await t.store.db.query<{ tenant_id: string }>(
      'SELECT tenant_id FROM proposal_records WHERE proposal_id = ANY($1) ORDER BY tenant_id',
      [[id, other.json.proposal.proposal_id]],
    );
    expect(rows.map((r) => r.tenant_id)).toEqual(['bank-a', 'bank-b']);
  });

  it('audit-logs who did what to which proposal, with and without a token', async () => {
    const lines: any[] = [];
    const stream = { write: (line: string) => lines.push(JSON.parse(line)) };
    const audits = () => lines.filter((l) => l.msg === 'audit').map((l) => l.audit);
    for (const env of [AUTH_ENV, { KEEL_AUTH_DISABLED: '1' }]) {
      const app = await buildApp({ db: t.store.db, env, logger: { level: 'info', stream } });
      try {
        const headers: Record<string, string> = { 'content-type': 'application/json' };
        if (env === AUTH_ENV) headers.Authorization = as.advisor!.Authorization!;
        else headers['X-Tenant-Id'] = 'bank-a';
        const body =
          env === AUTH_ENV ? createBody('pf_audit') : { ...createBody('pf_audit'), created_by: 'local_user' };
        const created = await app.inject({
          method: 'POST',
          url: '/rebalance/proposals',
          headers: { ...headers, 'Idempotency-Key': `audit-${keys++}` },
          payload: JSON.stringify(body),
        });
        const id = created.json().proposal.proposal_id;
        await app.inject({
          method: 'POST',
          url: `/rebalance/proposals/${id}/transitions`,
          headers,
          payload: JSON.stringify({
            event_type: 'CANCELLED',
            expected_state: 'RISK_REVIEW',
            ...(env === AUTH_ENV ? {} : { actor_id: 'local_user' }),
          }),
        });
      } finally {
        await app.close();
      }
    }
    const [createdA, refusedA, createdB, refusedB] = audits();
    expect(createdA).toMatchObject({
      tenant: 'bank-a',
      actor: 'advisor_a',
      actor_id: 'advisor_a',
      method: 'POST',
      route: '/rebalance/proposals',
      status: 200,
      action: 'CREATE_PROPOSAL',
    });
    expect(createdA.proposal_id).toMatch(/^pp_/);
    expect(refusedA).toMatchObject({
      actor_id: 'advisor_a',
      route: '/rebalance/proposals/:proposal_id/transitions',
      proposal_id: createdA.proposal_id,
      action: 'CANCELLED',
      status: 409,
    });
    expect(createdB).toMatchObject({ tenant: 'bank-a', actor: null, actor_id: 'local_user', status: 200 });
    expect(refusedB).toMatchObject({
      actor_id: 'local_user',
      proposal_id: createdB.proposal_id,
      status: 409,
    });
  });
});
