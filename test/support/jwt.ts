/** Signing bearer tokens for tests (HS256, as KEEL_JWT_SECRET verifies them). */
import { SignJWT } from 'jose';

/** A token carrying `claims`, issued now, expiring after `expires`. */
export function signClaims(
  secret: string,
  claims: Record<string, unknown>,
  expires = '10m',
): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuedAt()
    .setExpirationTime(expires)
    .sign(new TextEncoder().encode(secret));
}

/** A user's token: `sub`, `tenant_id` and `roles`. */
export function signUser(
  secret: string,
  sub: string,
  roles: string[],
  tenant = 'bank-a',
  expires = '10m',
): Promise<string> {
  return signClaims(secret, { sub, tenant_id: tenant, roles }, expires);
}
