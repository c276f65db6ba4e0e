/** Polling in tests: one loop for every "wait until this holds" (no wall-clock assertion). */

/**
 * Probe until `done` holds or the time is up, and return the last value either way (the caller's
 * assertion then fails with what was seen).
 */
export async function poll<T>(
  probe: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 30_000,
  intervalMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
