/**
 * `GET /me`: the caller's tenant, user, roles and permissions, as the authentication hook resolved
 * them. Any identified caller may ask (no permission needed); it reads nothing from the store.
 */
import type { FastifyInstance } from 'fastify';
import { identitySchema, type Identity } from '../../contracts/identity.js';
import { PERMISSIONS } from '../auth.js';
import { route } from '../route.js';
import { tenantOf } from '../tenancy.js';

export function identityRoutes(app: FastifyInstance): void {
  route(app, {
    method: 'GET',
    url: '/me',
    permission: null,
    tags: ['Identity'],
    summary: 'Who the caller is: tenant, user, roles and permissions',
    description:
      'With authentication on, what the bearer token says (tenant claim, actor claim, roles and the permissions the role ' +
      'map gives them); without, the X-Tenant-Id tenant, no user and every permission. The review console uses it to ' +
      'show only the actions the caller may take (the API checks them again on every request).',
    responses: { 200: { description: 'The caller.', schema: identitySchema } },
    handler: async ({ request }): Promise<Identity> => ({
      tenant_id: tenantOf(request),
      user_id: request.actor ?? null,
      authenticated: request.authenticated === true,
      roles: [...(request.roles ?? [])],
      permissions: PERMISSIONS.filter((p) => request.permissions?.has(p)),
    }),
  });
}
