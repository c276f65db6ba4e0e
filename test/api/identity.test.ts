/** `GET /me`: who the caller is, from the token or (authentication off) the tenant header, on every backend. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PERMISSIONS } from '../../src/api/auth.js';
import { BACKENDS } from '../support/store.js';
import { startTestApp, type TestApp } from '../support/http.js';
import { signClaims } from '../support/jwt.js';

const SECRET = 'an-identity-test-secret-of-sufficient-length-42';
const sign = (claims: Record<string, unknown>) => signClaims(SECRET, claims);

describe.each(BACKENDS)('GET /me (%s)', (backend) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(backend, { KEEL_JWT_SECRET: SECRET });
  }, 120_000);
  afterAll(async () => t.close());

  it('answers the token’s tenant, user, roles and the permissions they map to', async () => {
    const token = await sign({
      sub: 'compliance_bob',
      tenant_id: 'bank-a',
      roles: ['compliance', 'unknown_role'],
    });
    const res = await t.get('/me', { Authorization: `Bearer ${token}` });
    expect(res.status).toBe(200);
    expect(res.json).toEqual({
      tenant_id: 'bank-a',
      user_id: 'compliance_bob',
      authenticated: true,
      roles: ['compliance', 'unknown_role'],
      permissions: ['runs:read', 'workflow:decide', 'proposals:approve', 'scenarios:read'],
    });
  });

  it('needs no permission: a token without roles still learns who it is', async () => {
    const token = await sign({ sub: 'nobody', tenant_id: 'bank-b' });
    const res = await t.get('/me', { Authorization: `Bearer ${token}` });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ tenant_id: 'bank-b', user_id: 'nobody', roles: [], permissions: [] });
  });

  it('is 401 without a valid token, and an X-Tenant-Id cannot change the tenant', async () => {
    expect((await t.get('/me')).status).toBe(401);
    expect((await t.get('/me', { Authorization: 'Bearer not-a-token' })).json).toEqual({
      detail: 'UNAUTHENTICATED: invalid token',
    });
    const token = await sign({ sub: 'u', tenant_id: 'bank-a', roles: ['support'] });
    const res = await t.get('/me', { Authorization: `Bearer ${token}`, 'X-Tenant-Id': 'bank-z' });
    expect(res.json.tenant_id).toBe('bank-a');
  });

  it('without authentication: the X-Tenant-Id tenant, no user, every permission', async () => {
    await t.restart({ KEEL_AUTH_DISABLED: '1' });
    try {
      const res = await t.get('/me', { 'X-Tenant-Id': 'desk-7' });
      expect(res.json).toEqual({
        tenant_id: 'desk-7',
        user_id: null,
        authenticated: false,
        roles: [],
        permissions: [...PERMISSIONS],
      });
      expect((await t.get('/me')).json.tenant_id).toBe('default');
      expect((await t.get('/me', { 'X-Tenant-Id': 'bad tenant!' })).status).toBe(422);
    } finally {
      await t.restart({ KEEL_JWT_SECRET: SECRET });
    }
  });
});
