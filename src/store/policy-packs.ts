/**
 * Stored DPM policy packs (spec 40 §15.2, §21): the current definition of each pack per tenant,
 * and an append-only history of every change with who made it (GAP G-B3). Definitions are kept
 * as canonical JSON text, so "the same definition" is text equality. Writers of one pack are
 * serialised by an advisory lock, so a version check and the write it guards are atomic.
 */
import { createHash } from 'node:crypto';
import type { Database, Queryable } from './database.js';

export interface StoredPolicyPack {
  policy_pack_id: string;
  version: string;
  definition_json: string;
  created_at: Date;
  updated_at: Date;
  updated_by: string | null;
}

export type PolicyPackChange = 'CREATED' | 'UPDATED' | 'DELETED';

export interface PolicyPackHistoryRow {
  policy_pack_id: string;
  version: string;
  change: PolicyPackChange;
  definition_json: string;
  changed_at: Date;
  changed_by: string | null;
}

const PACK_COLUMNS = 'policy_pack_id, version, definition_json, created_at, updated_at, updated_by';
const HISTORY_COLUMNS = 'policy_pack_id, version, change, definition_json, changed_at, changed_by';

export async function getStoredPack(
  q: Queryable,
  tenant: string,
  id: string,
): Promise<StoredPolicyPack | null> {
  const rows = await q.query<StoredPolicyPack>(
    `SELECT ${PACK_COLUMNS} FROM dpm_policy_packs WHERE tenant_id = $1 AND policy_pack_id = $2`,
    [tenant, id],
  );
  return rows[0] ?? null;
}

export function listStoredPacks(q: Queryable, tenant: string): Promise<StoredPolicyPack[]> {
  return q.query<StoredPolicyPack>(
    `SELECT ${PACK_COLUMNS} FROM dpm_policy_packs WHERE tenant_id = $1 ORDER BY policy_pack_id`,
    [tenant],
  );
}

/** One writer at a time per tenant and pack (transaction-scoped). */
async function lockPack(tx: Queryable, tenant: string, id: string): Promise<void> {
  const key = createHash('sha256').update(`policy-pack\u0000${tenant}\u0000${id}`, 'utf8').digest();
  await tx.query('SELECT pg_advisory_xact_lock($1::bigint)', [key.readBigInt64BE(0).toString()]);
}

async function appendHistory(tx: Queryable, tenant: string, row: PolicyPackHistoryRow): Promise<void> {
  await tx.query(
    `INSERT INTO dpm_policy_pack_history (tenant_id, ${HISTORY_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
    [
      tenant,
      row.policy_pack_id,
      row.version,
      row.change,
      row.definition_json,
      row.changed_at,
      row.changed_by,
    ],
  );
}

export type UpsertOutcome =
  | { kind: 'CREATED' | 'UPDATED' | 'UNCHANGED'; pack: StoredPolicyPack; previous_version: string | null }
  /** The version label already names another definition of this pack. */
  | { kind: 'VERSION_CONFLICT' };

/**
 * Create or replace a pack's whole definition. A version label names one definition for good:
 * re-using it for other content is refused; re-sending the current definition changes nothing.
 */
export function upsertPack(
  db: Database,
  tenant: string,
  pack: { policy_pack_id: string; version: string; definition_json: string },
  actor: string | null,
  now: Date,
): Promise<UpsertOutcome> {
  return db.transaction(async (tx) => {
    await lockPack(tx, tenant, pack.policy_pack_id);
    const current = await getStoredPack(tx, tenant, pack.policy_pack_id);
    const sameVersion = await tx.query<{ definition_json: string }>(
      `SELECT definition_json FROM dpm_policy_pack_history
       WHERE tenant_id = $1 AND policy_pack_id = $2 AND version = $3 AND change <> 'DELETED' LIMIT 1`,
      [tenant, pack.policy_pack_id, pack.version],
    );
    if (sameVersion[0] && sameVersion[0].definition_json !== pack.definition_json)
      return { kind: 'VERSION_CONFLICT' };
    if (current && current.version === pack.version && current.definition_json === pack.definition_json)
      return { kind: 'UNCHANGED', pack: current, previous_version: current.version };
    const rows = await tx.query<StoredPolicyPack>(
      `INSERT INTO dpm_policy_packs (tenant_id, ${PACK_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $5, $6)
       ON CONFLICT (tenant_id, policy_pack_id) DO UPDATE SET version = EXCLUDED.version,
         definition_json = EXCLUDED.definition_json, updated_at = EXCLUDED.updated_at, updated_by = EXCLUDED.updated_by
       RETURNING ${PACK_COLUMNS}`,
      [tenant, pack.policy_pack_id, pack.version, pack.definition_json, now, actor],
    );
    const kind = current ? 'UPDATED' : 'CREATED';
    await appendHistory(tx, tenant, {
      policy_pack_id: pack.policy_pack_id,
      version: pack.version,
      change: kind,
      definition_json: pack.definition_json,
      changed_at: now,
      changed_by: actor,
    });
    return { kind, pack: rows[0]!, previous_version: current?.version ?? null };
  });
}

/** Delete a stored pack; its history stays, with a DELETED entry. Null when there was none. */
export function deletePack(
  db: Database,
  tenant: string,
  id: string,
  actor: string | null,
  now: Date,
): Promise<StoredPolicyPack | null> {
  return db.transaction(async (tx) => {
    await lockPack(tx, tenant, id);
    const rows = await tx.query<StoredPolicyPack>(
      `DELETE FROM dpm_policy_packs WHERE tenant_id = $1 AND policy_pack_id = $2 RETURNING ${PACK_COLUMNS}`,
      [tenant, id],
    );
    const deleted = rows[0];
    if (!deleted) return null;
    await appendHistory(tx, tenant, {
      policy_pack_id: id,
      version: deleted.version,
      change: 'DELETED',
      definition_json: deleted.definition_json,
      changed_at: now,
      changed_by: actor,
    });
    return deleted;
  });
}

/** Every change of a pack, oldest first. */
export function getPackHistory(q: Queryable, tenant: string, id: string): Promise<PolicyPackHistoryRow[]> {
  return q.query<PolicyPackHistoryRow>(
    `SELECT ${HISTORY_COLUMNS} FROM dpm_policy_pack_history WHERE tenant_id = $1 AND policy_pack_id = $2 ORDER BY seq`,
    [tenant, id],
  );
}

/** The definition a version label names (its latest write), or null. */
export async function getPackVersion(
  q: Queryable,
  tenant: string,
  id: string,
  version: string,
): Promise<PolicyPackHistoryRow | null> {
  const rows = await q.query<PolicyPackHistoryRow>(
    `SELECT ${HISTORY_COLUMNS} FROM dpm_policy_pack_history
     WHERE tenant_id = $1 AND policy_pack_id = $2 AND version = $3 AND change <> 'DELETED'
     ORDER BY seq DESC LIMIT 1`,
    [tenant, id, version],
  );
  return rows[0] ?? null;
}
