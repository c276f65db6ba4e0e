/** Setup and assertions shared by the test/api suites (not a test file itself). */
import type { Response, TestApp } from '../support/http.js';
import { poll } from '../support/poll.js';

/** Poll every 100 ms until `done` holds (or the time is up; the caller's assertion then fails). */
export function until<T>(
  probe: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 20_000,
): Promise<T> {
  return poll(probe, done, timeoutMs, 100);
}

/** GET an async operation's status URL until it has SUCCEEDED or FAILED. */
export function operationSettled(t: TestApp, statusUrl: string, timeoutMs?: number): Promise<Response> {
  return until(
    () => t.get(statusUrl),
    (r) => ['SUCCEEDED', 'FAILED'].includes(r.json.status),
    timeoutMs,
  );
}

/** A DPM result without what differs between two runs of the same inputs (ids, hash, the pack's own lineage). */
export function comparable(result: any) {
  const copy = structuredClone(result);
  delete copy.rebalance_run_id;
  delete copy.correlation_id;
  copy.universe.universe_id = '';
  copy.target.target_id = '';
  delete copy.lineage.request_hash;
  delete copy.lineage.policy_pack;
  return copy;
}
