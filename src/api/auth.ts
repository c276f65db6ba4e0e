/**
 * Identity, tenancy and permissions. A request carries `Authorization: Bearer <JWT>`, verified
 * with jose against an HS256 shared secret or an OIDC issuer's JWKS (`exp` required, at most
 * KEEL_JWT_MAX_LIFETIME_SECONDS ahead; expiry and not-before enforced; issuer and audience when
 * configured). The token's tenant claim scopes every read and
 * write; its roles map to permissions through a documented, overridable role map. With auth
 * disabled (local work) every request has every permission and the tenant comes from
 * `X-Tenant-Id` (default `default`).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import {
  createRemoteJWKSet,
  errors as joseErrors,
  jwtVerify,
  type JWTPayload,
  type JWTVerifyGetKey,
} from 'jose';
import { type Env, envFlag, envInt, envText } from './config.js';
import { HttpError } from './errors.js';
import { DEFAULT_TENANT } from './tenancy.js';

export const PERMISSIONS = [
  'rebalance:simulate',
  'runs:read',
  'workflow:decide',
  'proposals:write',
  'proposals:approve',
  'policies:admin',
  'scenarios:read',
  'scenarios:write',
  'scenarios:run',
  'scenarios:admin',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

/** Default role → permission map; override with KEEL_ROLE_MAP_JSON (same shape). */
export const DEFAULT_ROLE_MAP: Record<string, readonly Permission[]> = {
  admin: PERMISSIONS,
  portfolio_manager: [
    'rebalance:simulate',
    'runs:read',
    'proposals:write',
    'scenarios:read',
    'scenarios:write',
    'scenarios:run',
  ],
  advisor: ['proposals:write', 'runs:read', 'scenarios:read'],
  compliance: ['runs:read', 'workflow:decide', 'proposals:approve', 'scenarios:read'],
  support: ['runs:read', 'scenarios:read'],
};

export interface AuthConfig {
  /** `jwt`: tokens required; `disabled`: KEEL_AUTH_DISABLED; `unconfigured`: nothing set (loopback only). */
  mode: 'jwt' | 'disabled' | 'unconfigured';
  key?: Uint8Array | JWTVerifyGetKey;
  algorithms?: string[];
  issuer?: string;
  audience?: string;
  tenantClaim: string;
  rolesClaim: string;
  actorClaim: string;
  roleMap: Record<string, readonly Permission[]>;
  /** Longest accepted token lifetime (`exp` − `iat`, or `exp` − now without `iat`), seconds. */
  maxLifetimeSeconds: number;
}

/** Default KEEL_JWT_MAX_LIFETIME_SECONDS: a day. */
export const DEFAULT_JWT_MAX_LIFETIME_SECONDS = 86_400;

declare module 'fastify' {
  interface FastifyRequest {
    actor?: string | null;
    permissions?: ReadonlySet<Permission>;
    /** The token's roles (none without authentication). */
    roles?: readonly string[];
    /** True when a verified token identified the caller. */
    authenticated?: boolean;
  }
}

const TENANT_HEADER = /^[A-Za-z0-9._:-]{1,128}$/;

export function readAuthConfig(env: Env): AuthConfig {
  const base = {
    tenantClaim: envText(env, 'KEEL_TENANT_CLAIM') ?? 'tenant_id',
    rolesClaim: envText(env, 'KEEL_ROLES_CLAIM') ?? 'roles',
    actorClaim: envText(env, 'KEEL_ACTOR_CLAIM') ?? 'sub',
    roleMap: readRoleMap(env),
    issuer: envText(env, 'KEEL_JWT_ISSUER'),
    audience: envText(env, 'KEEL_JWT_AUDIENCE'),
    maxLifetimeSeconds: envInt(env, 'KEEL_JWT_MAX_LIFETIME_SECONDS', DEFAULT_JWT_MAX_LIFETIME_SECONDS, 1),
  };
  if (envFlag(env, 'KEEL_AUTH_DISABLED', false)) return { ...base, mode: 'disabled' };
  const secret = envText(env, 'KEEL_JWT_SECRET');
  const jwksUrl = envText(env, 'KEEL_JWT_JWKS_URL');
  if (secret) return { ...base, mode: 'jwt', key: new TextEncoder().encode(secret), algorithms: ['HS256'] };
  if (jwksUrl) return { ...base, mode: 'jwt', key: createRemoteJWKSet(new URL(jwksUrl)) };
  return { ...base, mode: 'unconfigured' };
}

function readRoleMap(env: Env): Record<string, readonly Permission[]> {
  const raw = envText(env, 'KEEL_ROLE_MAP_JSON');
  if (!raw) return DEFAULT_ROLE_MAP;
  const parsed = JSON.parse(raw) as Record<string, string[]>;
  for (const [role, perms] of Object.entries(parsed))
    for (const p of perms)
      if (!(PERMISSIONS as readonly string[]).includes(p))
        throw new Error(`KEEL_ROLE_MAP_JSON: unknown permission '${p}' for role '${role}'`);
  return parsed as Record<string, readonly Permission[]>;
}

const ALL = new Set<Permission>(PERMISSIONS);
// The review console's static files carry no data (it calls the API with the user's token).
const PUBLIC = /^\/(health\/|docs(\/|$)|openapi\.json$|metrics(\?|$)|console(\/|\?|$))/;

function unauthenticated(reason: string): HttpError {
  return new HttpError(401, `UNAUTHENTICATED: ${reason}`, {
    'WWW-Authenticate': `Bearer error="invalid_token", error_description="${reason}"`,
  });
}

async function verify(config: AuthConfig, request: FastifyRequest): Promise<JWTPayload> {
  const header = request.headers.authorization;
  if (!header) throw unauthenticated('missing bearer token');
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  if (!match) throw unauthenticated('malformed Authorization header');
  let verified: JWTPayload;
  try {
    const key = config.key!;
    // `exp` is required: a token without one would be valid forever.
    const options = {
      issuer: config.issuer,
      audience: config.audience,
      algorithms: config.algorithms,
      requiredClaims: ['exp'],
    };
    const { payload } =
      key instanceof Uint8Array
        ? await jwtVerify(match[1]!, key, options)
        : await jwtVerify(match[1]!, key, options);
    verified = payload;
  } catch (error) {
    if (error instanceof joseErrors.JWTExpired) throw unauthenticated('token expired');
    if (error instanceof joseErrors.JWTClaimValidationFailed)
      throw unauthenticated(
        error.reason === 'missing' ? `token has no ${error.claim} claim` : `claim ${error.claim} rejected`,
      );
    throw unauthenticated('invalid token');
  }
  // A lifetime above the maximum is refused: from `iat` when the token has one, else from now.
  const start = typeof verified.iat === 'number' ? verified.iat : Math.floor(Date.now() / 1000);
  if (verified.exp! - start > config.maxLifetimeSeconds)
    throw unauthenticated(`token lifetime exceeds ${config.maxLifetimeSeconds} s`);
  return verified;
}

/** Resolve who is calling, for which tenant, with which permissions — before anything else runs. */
export function registerAuth(app: FastifyInstance, config: AuthConfig): void {
  app.addHook('onRequest', async (request) => {
    if (PUBLIC.test(request.url)) return;
    if (config.mode !== 'jwt') {
      const tenant = request.headers['x-tenant-id'];
      if (tenant !== undefined && (typeof tenant !== 'string' || !TENANT_HEADER.test(tenant)))
        throw new HttpError(422, [
          {
            type: 'string_pattern_mismatch',
            loc: ['header', 'X-Tenant-Id'],
            msg: 'Tenant id must match [A-Za-z0-9._:-]{1,128}',
            input: tenant,
          },
        ]);
      request.tenant = (tenant as string | undefined) ?? DEFAULT_TENANT;
      request.actor = null;
      request.permissions = ALL;
      return;
    }
    const claims = await verify(config, request);
    const tenant = claims[config.tenantClaim];
    if (typeof tenant !== 'string' || tenant === '')
      throw unauthenticated(`token has no ${config.tenantClaim} claim`);
    const rawRoles = claims[config.rolesClaim];
    const roles = Array.isArray(rawRoles)
      ? rawRoles.filter((r): r is string => typeof r === 'string')
      : typeof rawRoles === 'string'
        ? rawRoles.split(/\s+/)
        : [];
    const actor = claims[config.actorClaim];
    request.tenant = tenant;
    request.authenticated = true;
    request.actor = typeof actor === 'string' && actor !== '' ? actor : null;
    request.roles = roles.filter((r) => r !== '');
    request.permissions = new Set(roles.flatMap((role) => config.roleMap[role] ?? []));
  });
}

/**
 * Actions that record who acted (a run's creator for four eyes, a reviewer's decision) need a
 * token that names its actor; without authentication the actor is taken from the request.
 */
export function requireActor(request: FastifyRequest): void {
  if (request.authenticated && !request.actor)
    throw new HttpError(
      403,
      'ACTOR_REQUIRED: the token has no actor claim (KEEL_ACTOR_CLAIM, default sub); actions that record who acted need one',
    );
}

export function requirePermission(request: FastifyRequest, permission: Permission): void {
  if (!request.permissions?.has(permission))
    throw new HttpError(403, `FORBIDDEN: missing permission ${permission}`);
}
