import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // One process per test file (each file's embedded database and app live in it). Vitest's
    // default is cores − 1, which is one worker on a 2-core machine; most of the slow files wait on
    // child processes, timers and sockets, so two files at a time fit on two cores.
    pool: 'forks',
    maxWorkers: Math.max(2, availableParallelism() - 1),
    minWorkers: 1,
    // Test files share their worker's module cache (each still builds its own stores and apps):
    // loading the application's modules once per worker instead of once per file saves about a
    // quarter of the suite's CPU time.
    isolate: false,
    testTimeout: 60_000,
    // Suites build an embedded database and the app in beforeAll; on a busy 2-core machine that can take >10 s.
    hookTimeout: 120_000,
    // One migrated embedded store per run, snapshotted; every test store starts from the snapshot.
    globalSetup: ['./test/support/global-setup.ts'],
    reporters: ['default', './test/support/summary-reporter.ts'],
  },
});
