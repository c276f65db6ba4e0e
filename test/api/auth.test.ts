/**
 * Identity, tenancy and access control: a matrix over every route (no token, bad signature,
 * expired, wrong audience, missing permission, allowed), two tenants that cannot see each other,
 * four eyes on approvals, rate limits, security headers and the start-up guard.
 */
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readAuthConfig } from '../../src/api/auth.js';
import { checkAuthStartup, StartupError } from '../../src/api/server.js';
import { BACKENDS } from '../support/store.js';
import { demo, startTestApp, type TestApp } from '../support/http.js';

const SECRET = 'a-test-secret-of-sufficient-length-0123456789';
const AUTH_ENV = {
  KEEL_JWT_SECRET: SECRET,
  KEEL_JWT_ISSUER: 'https://idp.bank.test',
  KEEL_JWT_AUDIENCE: 'keel-api',
};

async function token(
  claims: Record<string, unknown>,
  options: { secret?: string; audience?: string; expiresIn?: string | number } = {},
) {
  let jwt = new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuer('https://idp.bank.test')
    .setAudience(options.audience ?? 'keel-api')
    .setIssuedAt(Math.floor(Date.now() / 1000) - 120);
  jwt = jwt.setExpirationTime(options.expiresIn ?? '10m');
  return jwt.sign(new TextEncoder().encode(options.secret ?? SECRET));
}

const bearer = (t: string) => ({ Authorization: `Bearer ${t}` });

describe.each(BACKENDS)('access control (%s)', (backend) => {
  let t: TestApp;
  let admin: string;
  let routes: { method: string; url: string; permission: string }[];

  beforeAll(async () => {
    t = await startTestApp(backend, {
      ...AUTH_ENV,
      DPM_WORKFLOW_ENABLED: 'true',
      DPM_LINEAGE_APIS_ENABLED: 'true',
      DPM_IDEMPOTENCY_HISTORY_APIS_ENABLED: 'true',
    });
    admin = await token({ sub: 'admin-1', tenant_id: 'bank-a', roles: ['admin'] });
    const doc = (await t.get('/openapi.json')).json;
    routes = [];
    for (const [path, methods] of Object.entries<any>(doc.paths))
      for (const [method, op] of Object.entries<any>(methods)) {
        if (path.startsWith('/health')) continue;
        const permission = /Requires permission `([a-z:]+)`/.exec(op.description ?? '')?.[1];
        // GET /me needs a valid token and no permission (docs/decisions/0080).
        const tokenOnly = /Requires a valid token \(when authentication is on\), no permission/.test(
          op.description ?? '',
        );
        routes.push({
          method: method.toUpperCase(),
          url: path.replace(/\{[^}]+\}/g, 'x_missing'),
          permission: permission ?? (tokenOnly ? 'none' : ''),
        });
      }
  });
  afterAll(async () => t.close());

  const call = (r: { method: string; url: string }, headers: Record<string, string>) =>
    r.method === 'GET' || r.method === 'DELETE'
      ? t.request(r.method, r.url, undefined, headers)
      : t.request(r.method, r.url, '{}', headers);
  /** `{"detail": "CODE: text"}`, or the same code and text in the /v1/scenarios envelope. */
  const detail = (json: any) => json.detail ?? `${json.error.code}: ${json.error.message}`;

  it('documents a permission for every route', () => {
    expect(routes.length).toBeGreaterThanOrEqual(33 + 13);
    for (const r of routes) expect(r.permission, `${r.method} ${r.url}`).not.toBe('');
    expect(routes.filter((r) => r.permission === 'none').map((r) => `${r.method} ${r.url}`)).toEqual([
      'GET /me',
    ]);
  });

  it('answers 401 without a token, with a bad signature, expired, or for another audience; 403 without the permission; passes otherwise', async () => {
    const badSignature = await token(
      { sub: 'u', tenant_id: 'bank-a', roles: ['admin'] },
      { secret: 'another-secret-of-sufficient-length-xx' },
    );
    const expired = await token(
      { sub: 'u', tenant_id: 'bank-a', roles: ['admin'] },
      { expiresIn: Math.floor(Date.now() / 1000) - 60 },
    );
    const wrongAudience = await token(
      { sub: 'u', tenant_id: 'bank-a', roles: ['admin'] },
      { audience: 'someone-else' },
    );
    const noRoles = await token({ sub: 'u', tenant_id: 'bank-a', roles: [] });
    for (const r of routes) {
      const label = `${r.method} ${r.url}`;
      const none = await call(r, {});
      expect(none.status, label).toBe(401);
      expect(detail(none.json), label).toBe('UNAUTHENTICATED: missing bearer token');
      expect(none.headers['www-authenticate'], label).toMatch(/^Bearer /);
      expect((await call(r, bearer(badSignature))).status, label).toBe(401);
      const exp = await call(r, bearer(expired));
      expect(exp.status, label).toBe(401);
      expect(detail(exp.json), label).toBe('UNAUTHENTICATED: token expired');
      expect(detail((await call(r, bearer(wrongAudience))).json), label).toBe(
        'UNAUTHENTICATED: claim aud rejected',
      );
      const forbidden = await call(r, bearer(noRoles));
      if (r.permission === 'none') expect(forbidden.status, label).toBe(200);
      else {
        expect(forbidden.status, label).toBe(403);
        expect(detail(forbidden.json), label).toBe(`FORBIDDEN: missing permission ${r.permission}`);
      }
      const allowed = await call(r, bearer(admin));
      expect([401, 403, 500], label).not.toContain(allowed.status);
    }
  });

  it('maps roles to permissions: support reads but cannot simulate, advisors propose but cannot decide', async () => {
    const support = await token({ sub: 's', tenant_id: 'bank-a', roles: ['support'] });
    expect((await t.get('/rebalance/runs', bearer(support))).status).toBe(200);
    expect(
      (
        await t.post('/rebalance/simulate', demo('01_standard_drift.json'), {
          ...bearer(support),
          'Idempotency-Key': 'k',
        })
      ).status,
    ).toBe(403);
    const advisor = await token({ sub: 'a', tenant_id: 'bank-a', roles: 'advisor' });
    const body = demo('11_advisory_auto_funding_single_ccy.json');
    expect(
      (await t.post('/rebalance/proposals/simulate', body, { ...bearer(advisor), 'Idempotency-Key': 'adv' }))
        .status,
    ).toBe(200);
    expect(
      (
        await t.post(
          '/rebalance/runs/x/workflow/actions',
          { action: 'APPROVE', reason_code: 'OK' },
          bearer(advisor),
        )
      ).status,
    ).toBe(403);
  });

  it('rejects a token without a tenant claim', async () => {
    const tenantless = await token({ sub: 'u', roles: ['admin'] });
    expect((await t.get('/rebalance/runs', bearer(tenantless))).json).toEqual({
      detail: 'UNAUTHENTICATED: token has no tenant_id claim',
    });
  });

  it('keeps two tenants apart: reads, lists, counts, keys and actions', async () => {
    const a = await token({ sub: 'pm-a', tenant_id: 'tenant-a', roles: ['admin'] });
    const b = await token({ sub: 'pm-b', tenant_id: 'tenant-b', roles: ['admin'] });
    const body = demo('29_dpm_workflow_gate_disabled_contract.json');
    const runA = await t.post('/rebalance/simulate', body, {
      ...bearer(a),
      'Idempotency-Key': 'shared-key',
      'X-Correlation-Id': 'shared-corr',
    });
    expect(runA.status).toBe(200);
    const id = runA.json.rebalance_run_id;
    const opA = await t.post('/rebalance/analyze/async', demo('26_dpm_async_batch_analysis.json'), {
      ...bearer(a),
      'X-Correlation-Id': 'op-corr-a',
    });
    expect(opA.status).toBe(202);

    for (const url of [
      `/rebalance/runs/${id}`,
      `/rebalance/runs/${id}/artifact`,
      `/rebalance/runs/${id}/support-bundle`,
      '/rebalance/runs/by-correlation/shared-corr',
      `/rebalance/runs/by-request-hash/${encodeURIComponent(runA.json.lineage.request_hash)}`,
      '/rebalance/runs/idempotency/shared-key',
      '/rebalance/idempotency/shared-key/history',
      `/rebalance/runs/${id}/workflow`,
      `/rebalance/operations/${opA.json.operation_id}`,
      '/rebalance/operations/by-correlation/op-corr-a',
    ])
      expect((await t.get(url, bearer(b))).status, url).toBe(404);
    expect((await t.get('/rebalance/runs?limit=200', bearer(b))).json.items).toEqual([]);
    expect((await t.get('/rebalance/operations?limit=200', bearer(b))).json.items).toEqual([]);
    expect((await t.get('/rebalance/lineage/shared-corr', bearer(b))).json.edges).toEqual([]);
    const summaryB = (await t.get('/rebalance/supportability/summary', bearer(b))).json;
    expect([summaryB.run_count, summaryB.operation_count, summaryB.lineage_edge_count]).toEqual([0, 0, 0]);
    expect(
      (
        await t.post(
          `/rebalance/runs/${id}/workflow/actions`,
          { action: 'REJECT', reason_code: 'NO' },
          bearer(b),
        )
      ).status,
    ).toBe(404);
    expect(
      (await t.post(`/rebalance/operations/${opA.json.operation_id}/execute`, '', bearer(b))).status,
    ).toBe(404);

    // The same idempotency key in tenant B is B's own: no replay of A's run, no conflict.
    const runB = await t.post('/rebalance/simulate', demo('01_standard_drift.json'), {
      ...bearer(b),
      'Idempotency-Key': 'shared-key',
    });
    expect(runB.status).toBe(200);
    expect(runB.json.rebalance_run_id).not.toBe(id);
    // A sees its simulate run and its (INLINE-executed) operation's scenario runs, nothing of B's.
    const itemsA = (await t.get('/rebalance/runs?limit=200', bearer(a))).json.items;
    expect(itemsA.map((r: any) => r.rebalance_run_id)).toContain(id);
    expect(itemsA.map((r: any) => r.rebalance_run_id)).not.toContain(runB.json.rebalance_run_id);
    expect(
      itemsA.every(
        (r: any) => r.correlation_id === 'shared-corr' || r.correlation_id.startsWith('op-corr-a:'),
      ),
    ).toBe(true);
  });

  it('applies four eyes: the creator cannot approve, the actor comes from the token', async () => {
    const alice = await token({
      sub: 'alice',
      tenant_id: 'tenant-c',
      roles: ['portfolio_manager', 'compliance'],
    });
    const bob = await token({ sub: 'bob', tenant_id: 'tenant-c', roles: ['compliance'] });
    const run = await t.post('/rebalance/simulate', demo('29_dpm_workflow_gate_disabled_contract.json'), {
      ...bearer(alice),
      'Idempotency-Key': 'fe',
    });
    const url = `/rebalance/runs/${run.json.rebalance_run_id}/workflow/actions`;
    expect((await t.post(url, { action: 'APPROVE', reason_code: 'OK' }, bearer(alice))).json).toEqual({
      detail: 'FOUR_EYES_VIOLATION: the creator of a run cannot approve it',
    });
    expect(
      (await t.post(url, { action: 'APPROVE', reason_code: 'OK', actor_id: 'carol' }, bearer(bob))).json,
    ).toEqual({
      detail: 'ACTOR_MISMATCH: actor_id must be the authenticated user',
    });
    const approved = await t.post(url, { action: 'APPROVE', reason_code: 'OK' }, bearer(bob));
    expect(approved.status).toBe(200);
    expect(approved.json.latest_decision.actor_id).toBe('bob');
  });

  it('refuses a token without an actor for actions that record one; reads still work', async () => {
    const nameless = await token({ tenant_id: 'tenant-d', roles: ['admin'] });
    const named = await token({ sub: 'dora', tenant_id: 'tenant-d', roles: ['admin'] });
    const run = await t.post('/rebalance/simulate', demo('29_dpm_workflow_gate_disabled_contract.json'), {
      ...bearer(named),
      'Idempotency-Key': 'actor-run',
    });
    const url = `/rebalance/runs/${run.json.rebalance_run_id}/workflow/actions`;
    const required = {
      detail:
        'ACTOR_REQUIRED: the token has no actor claim (KEEL_ACTOR_CLAIM, default sub); actions that record who acted need one',
    };
    // Without `sub` it could have approved the run as anyone (or as its own creator).
    const decide = await t.post(
      url,
      { action: 'APPROVE', reason_code: 'OK', actor_id: 'someone' },
      bearer(nameless),
    );
    expect(decide.status).toBe(403);
    expect(decide.json).toEqual(required);
    for (const [path, body, headers] of [
      ['/rebalance/simulate', demo('01_standard_drift.json'), { 'Idempotency-Key': 'no-actor' }],
      ['/rebalance/analyze', demo('09_batch_what_if_analysis.json'), {}],
      ['/rebalance/analyze/async', demo('26_dpm_async_batch_analysis.json'), {}],
    ] as const) {
      const res = await t.post(path, body, { ...bearer(nameless), ...headers });
      expect(res.status, path).toBe(403);
      expect(res.json, path).toEqual(required);
    }
    expect((await t.get('/rebalance/runs', bearer(nameless))).status).toBe(200);
    expect(
      (await t.get(`/rebalance/runs/${run.json.rebalance_run_id}/workflow`, bearer(nameless))).status,
    ).toBe(200);
  });

  it('requires exp and refuses lifetimes above KEEL_JWT_MAX_LIFETIME_SECONDS', async () => {
    const key = new TextEncoder().encode(SECRET);
    const base = () =>
      new SignJWT({ sub: 'u', tenant_id: 'bank-a', roles: ['admin'] })
        .setProtectedHeader({ alg: 'HS256' })
        .setIssuer('https://idp.bank.test')
        .setAudience('keel-api');
    const forever = await base().setIssuedAt().sign(key);
    const res = await t.get('/rebalance/runs', bearer(forever));
    expect(res.status).toBe(401);
    expect(res.json).toEqual({ detail: 'UNAUTHENTICATED: token has no exp claim' });
    const now = Math.floor(Date.now() / 1000);
    const longLived = await base()
      .setIssuedAt(now)
      .setExpirationTime(now + 86_400 + 60)
      .sign(key);
    expect((await t.get('/rebalance/runs', bearer(longLived))).json).toEqual({
      detail: 'UNAUTHENTICATED: token lifetime exceeds 86400 s',
    });
    const noIatFarAway = await base()
      .setExpirationTime(now + 2 * 86_400)
      .sign(key);
    expect((await t.get('/rebalance/runs', bearer(noIatFarAway))).status).toBe(401);
    const day = await base()
      .setIssuedAt(now)
      .setExpirationTime(now + 86_400)
      .sign(key);
    expect((await t.get('/rebalance/runs', bearer(day))).status).toBe(200);
    // The maximum is configurable.
    expect(
      readAuthConfig({ KEEL_JWT_SECRET: SECRET, KEEL_JWT_MAX_LIFETIME_SECONDS: '300' }).maxLifetimeSeconds,
    ).toBe(300);
  });

  it('scenarios: scenarios:read|write|run, the state route needs scenarios:admin; the creator is recorded', async () => {
    const pm = await token({ sub: 'pm-7', tenant_id: 'bank-s', roles: ['portfolio_manager'] });
    const support = await token({ sub: 'sup-1', tenant_id: 'bank-s', roles: ['support'] });
    const boss = await token({ sub: 'root-1', tenant_id: 'bank-s', roles: ['admin'] });
    const base = JSON.parse(demo('01_standard_drift.json'));
    const created = await t.post('/v1/scenarios', { name: 'auth', base }, bearer(pm));
    expect(created.status, created.text).toBe(201);
    expect(created.json.created_by).toBe('pm-7');
    expect((await t.get('/v1/scenarios', bearer(support))).json.data.map((s: any) => s.id)).toEqual([
      created.json.id,
    ]);
    const write = await t.post('/v1/scenarios', { name: 'x', base }, bearer(support));
    expect(write.status).toBe(403);
    expect(write.json.error).toEqual({
      code: 'FORBIDDEN',
      message: 'missing permission scenarios:write',
      details: null,
    });
    expect(
      (await t.post(`/v1/scenarios/${created.json.id}/run`, {}, bearer(support))).json.error.message,
    ).toBe('missing permission scenarios:run');
    // This app has no job queue: an allowed run request is refused as unavailable, never stored.
    expect((await t.post(`/v1/scenarios/${created.json.id}/run`, {}, bearer(pm))).json.error.code).toBe(
      'QUEUE_UNAVAILABLE',
    );
    expect(
      (await t.post('/v1/scenarios/runs/r/state', { state: 'RUNNING' }, bearer(pm))).json.error.message,
    ).toBe('missing permission scenarios:admin');
    expect((await t.post('/v1/scenarios/runs/r/state', { state: 'RUNNING' }, bearer(boss))).status).toBe(404);
  });

  it('sets security headers and no CORS headers', async () => {
    const res = await t.get('/rebalance/runs', { ...bearer(admin), Origin: 'https://evil.example' });
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['x-frame-options']).toBeDefined();
    expect(res.headers['strict-transport-security']).toBeDefined();
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
  });
});

describe('rate limits and start-up guard', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp('embedded', {
      KEEL_AUTH_DISABLED: '1',
      KEEL_RATE_LIMIT_WRITE_PER_MINUTE: '3',
      KEEL_RATE_LIMIT_READ_PER_MINUTE: '100',
    });
  });
  afterAll(async () => t.close());

  it('limits writes per tenant with X-RateLimit headers and 429 + Retry-After', async () => {
    const body = demo('01_standard_drift.json');
    const send = (tenant: string, i: number) =>
      t.post('/rebalance/simulate', body, { 'Idempotency-Key': `rl-${tenant}-${i}`, 'X-Tenant-Id': tenant });
    const first = await send('t1', 0);
    expect(first.headers['x-ratelimit-limit']).toBe('3');
    expect(first.headers['x-ratelimit-remaining']).toBe('2');
    expect(Number(first.headers['x-ratelimit-reset'])).toBeGreaterThan(0);
    await send('t1', 1);
    await send('t1', 2);
    const limited = await send('t1', 3);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(limited.json.detail).toMatch(/^RATE_LIMITED: /);
    expect((await send('t2', 0)).status).toBe(200); // another tenant has its own budget
    expect((await t.get('/rebalance/runs', { 'X-Tenant-Id': 't1' })).status).toBe(200); // reads are another class
    expect((await t.get('/health/live')).headers['x-ratelimit-limit']).toBeUndefined();
  });

  it('limits /v1/scenarios too, answering 429 in the scenario envelope with Retry-After', async () => {
    const headers = { 'X-Tenant-Id': 'rl-scenarios' };
    const statuses: number[] = [];
    let last: any;
    for (let i = 0; i < 4; i++) {
      last = await t.post('/v1/scenarios', { name: `s${i}` }, headers);
      statuses.push(last.status);
    }
    expect(statuses).toEqual([400, 400, 400, 429]);
    expect(last.headers['x-ratelimit-limit']).toBe('3');
    expect(Number(last.headers['retry-after'])).toBeGreaterThan(0);
    expect(last.json.error.code).toBe('RATE_LIMITED');
    expect(last.json.meta.request_id).toBe(last.headers['x-request-id']);
    expect((await t.get('/v1/scenarios', headers)).headers['x-ratelimit-remaining']).toBe('99');
  });

  it('refuses to listen beyond loopback without authentication, warns on loopback', () => {
    expect(() => checkAuthStartup('0.0.0.0', readAuthConfig({}))).toThrow(StartupError);
    expect(() => checkAuthStartup('0.0.0.0', readAuthConfig({}))).toThrow(/AUTH_NOT_CONFIGURED/);
    expect(checkAuthStartup('127.0.0.1', readAuthConfig({}))).toMatch(/NOT CONFIGURED/);
    expect(checkAuthStartup('0.0.0.0', readAuthConfig({ KEEL_AUTH_DISABLED: '1' }))).toBeNull();
    expect(checkAuthStartup('0.0.0.0', readAuthConfig({ KEEL_JWT_SECRET: SECRET }))).toBeNull();
  });

  it('rejects a malformed X-Tenant-Id', async () => {
    const res = await t.get('/rebalance/runs', { 'X-Tenant-Id': 'bad tenant!' });
    expect(res.status).toBe(422);
    expect(res.json.detail[0].loc).toEqual(['header', 'X-Tenant-Id']);
  });
});
