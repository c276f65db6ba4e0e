/**
 * Durable proposal operations across processes: a server SIGKILLed right after accepting async
 * creates and versions loses none and finishes none twice once it (or, on a PostgreSQL server, a
 * `keel worker`) runs again; a proposal recorded before the kill is unchanged afterwards.
 */
import { describe, expect, it } from 'vitest';
import { readFixture } from '../support/fixtures.js';
import { serveKeel, spawnKeel, stopKeel } from '../support/process.js';
import { poll } from '../support/poll.js';
import { allSettled, processDatabase } from '../support/queue.js';
import { BACKENDS } from '../support/store.js';

const QUEUE_ENV = {
  KEEL_JOB_TIMEOUT_SECONDS: '3',
  KEEL_QUEUE_MAINTENANCE_SECONDS: '1',
  KEEL_JOB_RETRY_DELAY_SECONDS: '1',
  LOG_LEVEL: 'warn',
};
const CREATE = readFixture<any>('demo', '20_advisory_proposal_persist_create.json');
const VERSION = readFixture<any>('demo', '21_advisory_proposal_new_version.json');
const withPortfolio = (body: any, portfolio: string) => {
  const out = JSON.parse(JSON.stringify(body));
  out.simulate_request.portfolio_snapshot.portfolio_id = portfolio;
  return out;
};
describe.each(BACKENDS)('proposal operations across a SIGKILL (%s)', (backend) => {
  const database = processDatabase(backend, 'keel-proposal-crash-');

  it('loses no accepted operation, finishes none twice, keeps what was recorded', async () => {
    const env = await database.open(QUEUE_ENV);
    const first = await serveKeel({ ...env, KEEL_WORKER_CONCURRENCY: '2' });
    const url = (port: number, path: string) => `http://127.0.0.1:${port}${path}`;
    const post = (port: number, path: string, body: unknown, headers: Record<string, string> = {}) =>
      fetch(url(port, path), {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify(body),
      });

    // Recorded before the kill: a proposal through review and consent.
    const kept = (await (
      await post(first.port, '/rebalance/proposals', withPortfolio(CREATE, 'pf_crash_kept'), {
        'Idempotency-Key': 'crash-kept',
      })
    ).json()) as any;
    const keptId = kept.proposal.proposal_id as string;
    await post(first.port, `/rebalance/proposals/${keptId}/transitions`, {
      event_type: 'SUBMITTED_FOR_COMPLIANCE_REVIEW',
      actor_id: 'advisor_demo_1',
      expected_state: 'DRAFT',
    });
    await post(first.port, `/rebalance/proposals/${keptId}/approvals`, {
      approval_type: 'COMPLIANCE',
      approved: true,
      actor_id: 'compliance_demo_1',
      expected_state: 'COMPLIANCE_REVIEW',
    });
    const read = async (port: number) =>
      Promise.all(
        ['', '/workflow-events', '/approvals', '/lineage'].map(async (sub) =>
          (await fetch(url(port, `/rebalance/proposals/${keptId}${sub}`))).text(),
        ),
      );
    const before = await read(first.port);
    const versioned = (await (
      await post(first.port, '/rebalance/proposals', withPortfolio(CREATE, 'pf_crash_versions'), {
        'Idempotency-Key': 'crash-versions',
      })
    ).json()) as any;
    const versionedId = versioned.proposal.proposal_id as string;

    // Accepted, then killed.
    const accepted: string[] = [];
    for (let i = 0; i < 24; i++) {
      const res = await post(
        first.port,
        '/rebalance/proposals/async',
        withPortfolio(CREATE, `pf_crash_${i}`),
        {
          'Idempotency-Key': `crash-async-${i}`,
        },
      );
      expect(res.status).toBe(202);
      accepted.push(((await res.json()) as any).operation_id);
    }
    for (let i = 0; i < 6; i++) {
      const res = await post(
        first.port,
        `/rebalance/proposals/${versionedId}/versions/async`,
        withPortfolio(VERSION, 'pf_crash_versions'),
      );
      expect(res.status).toBe(202);
      accepted.push(((await res.json()) as any).operation_id);
    }
    // On a server the kill waits until an operation is RUNNING, so one is surely cut off mid-way.
    const { store } = database;
    if (store)
      await poll(
        async () =>
          (
            await store.db.query<{ n: number }>(
              "SELECT COUNT(*)::int AS n FROM proposal_async_operations WHERE status = 'RUNNING'",
            )
          )[0]!.n,
        (n) => n > 0,
        20_000,
        5,
      );
    await stopKeel(first.child, 'SIGKILL');

    // Again: on a server, an API process without workers and a separate `keel worker`.
    const second = await serveKeel({
      ...env,
      KEEL_WORKER_CONCURRENCY: backend === 'postgres' ? '0' : '2',
    });
    const worker =
      backend === 'postgres' ? spawnKeel(['worker'], { ...env, KEEL_WORKER_CONCURRENCY: '2' }) : null;
    let statuses: string[] = [];
    let after: string[] = [];
    try {
      statuses = await allSettled(
        accepted,
        async (id) =>
          ((await (await fetch(url(second.port, `/rebalance/proposals/operations/${id}`))).json()) as any)
            .status as string,
        60_000,
      );
      after = await read(second.port);
    } finally {
      if (worker) await stopKeel(worker.child);
      await stopKeel(second.child);
    }
    expect(statuses).toEqual(accepted.map(() => 'SUCCEEDED'));
    expect(after).toEqual(before);

    await database.inspect(async (db) => {
      const perPortfolio = await db.query<{ portfolio_id: string; n: number; events: number }>(
        `SELECT p.portfolio_id, COUNT(DISTINCT p.proposal_id)::int AS n, COUNT(e.event_id)::int AS events
         FROM proposal_records p JOIN proposal_workflow_events e USING (tenant_id, proposal_id)
         WHERE p.portfolio_id LIKE 'pf_crash_%' AND p.portfolio_id NOT IN ('pf_crash_kept', 'pf_crash_versions')
         GROUP BY p.portfolio_id`,
      );
      expect(perPortfolio).toHaveLength(24);
      for (const row of perPortfolio)
        expect([row.portfolio_id, row.n, row.events]).toEqual([row.portfolio_id, 1, 1]);
      const versions = await db.query<{ version_no: number }>(
        'SELECT version_no FROM proposal_versions WHERE proposal_id = $1 ORDER BY version_no',
        [versionedId],
      );
      expect(versions.map((v) => v.version_no)).toEqual([1, 2, 3, 4, 5, 6, 7]);
      const results = await db.query<{ proposal_id: string; result_json: string }>(
        'SELECT proposal_id, result_json FROM proposal_async_operations WHERE operation_id = ANY($1)',
        [accepted],
      );
      for (const r of results) expect(JSON.parse(r.result_json).proposal.proposal_id).toBe(r.proposal_id);
      console.log(
        'ATTEMPTS',
        JSON.stringify(
          await db.query(
            'SELECT attempts, COUNT(*)::int AS n FROM proposal_async_operations GROUP BY attempts',
          ),
        ),
      );
    });
  }, 150_000);
});
