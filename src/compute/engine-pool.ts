/**
 * Engine work off the event loop: a pool of worker threads (piscina) running the named tasks of
 * tasks.ts, so a large solve or batch never stalls health checks and small requests. Small work
 * stays on the calling thread, where it is cheaper than a hand-over (bench/README.md measures the
 * break-even). Used by the HTTP service, the queue workers and the CLI alike.
 *
 * What goes to a thread: any SOLVER run (or method comparison), and any request whose size —
 * positions, prices, FX rates, shelf entries and model targets, times the scenario count for a
 * batch — reaches `offloadMinSize`.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import type { AnalyzeRequest } from '../contracts/dpm-analyze.js';
import type { SimulateRequest } from '../contracts/dpm-request.js';
import type { ProposalRequest } from '../contracts/advisory-request.js';
import {
  analyzeValue,
  bookChunk,
  type BookChunkOutput,
  type BookChunkTask,
  proposeValue,
  simulateBatchLine,
  simulateValue,
  type AnalyzeTask,
  type BatchLineOutcome,
  type BatchLineTask,
  type ProposeTask,
  type SimulateTask,
} from './tasks.js';

/** Default size from which a request runs on a worker thread (see bench/README.md). */
export const DEFAULT_OFFLOAD_MIN_SIZE = 200;
/** Tasks that may wait for a thread before new ones are refused with EngineBusyError. */
export const MAX_QUEUED_TASKS = 256;

/** Every thread is busy and the queue is full: the caller should retry later. */
export class EngineBusyError extends Error {}

export interface EnginePoolOptions {
  /** Worker threads; 0 runs everything on the calling thread. */
  threads: number;
  offloadMinSize?: number;
}

type Snapshots = Pick<SimulateRequest, 'portfolio_snapshot' | 'market_data_snapshot' | 'shelf_entries'> & {
  model_portfolio?: SimulateRequest['model_portfolio'];
};

function size(request: Snapshots): number {
  return (
    request.portfolio_snapshot.positions.length +
    request.market_data_snapshot.prices.length +
    request.market_data_snapshot.fx_rates.length +
    request.shelf_entries.length +
    (request.model_portfolio?.targets.length ?? 0)
  );
}

const usesSolver = (options: Record<string, unknown>) =>
  options.target_method === 'SOLVER' ||
  (options.compare_target_methods !== undefined &&
    options.compare_target_methods !== false &&
    options.compare_target_methods !== 'false');

/** The compiled worker module; from TypeScript sources (tests) the build in dist/ is used. */
function workerFile(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const sibling = join(here, 'engine-worker.js');
  if (existsSync(sibling)) return sibling;
  return join(here, '..', '..', 'dist', 'compute', 'engine-worker.js');
}

export class EnginePool {
  readonly threads: number;
  readonly offloadMinSize: number;
  private pool: Piscina | null = null;
  /** How many tasks ran where, for tests and diagnostics. */
  readonly counts = { inline: 0, thread: 0 };

  constructor(options: EnginePoolOptions) {
    this.threads = Math.max(0, Math.floor(options.threads));
    this.offloadMinSize = options.offloadMinSize ?? DEFAULT_OFFLOAD_MIN_SIZE;
  }

  static defaultThreads(): number {
    return availableParallelism();
  }

  /**
   * A simulate that goes to a thread when the pool has threads: a SOLVER run or a request of at
   * least `offloadMinSize`. A light one costs about as much as a database round trip.
   */
  heavySimulate(request: SimulateRequest): boolean {
    return usesSolver(request.options as Record<string, unknown>) || size(request) >= this.offloadMinSize;
  }

  simulate(
    task: Omit<SimulateTask, 'request'>,
    request: SimulateRequest,
    text: () => string,
  ): Promise<string> {
    return this.dispatch(
      'simulate',
      this.heavySimulate(request),
      () => ({ ...task, request: text() }),
      () => simulateValue(request, task),
    );
  }

  analyze(task: Omit<AnalyzeTask, 'request'>, request: AnalyzeRequest, text: () => string): Promise<string> {
    const scenarios = Object.values(request.scenarios);
    const heavy =
      scenarios.some((s) => usesSolver(s.options)) || size(request) * scenarios.length >= this.offloadMinSize;
    return this.dispatch(
      'analyze',
      heavy,
      () => ({ ...task, request: text() }),
      () => analyzeValue(request, task),
    );
  }

  propose(task: Omit<ProposeTask, 'request'>, request: ProposalRequest, text: () => string): Promise<string> {
    const heavy = size(request) + request.proposed_trades.length >= this.offloadMinSize;
    return this.dispatch(
      'propose',
      heavy,
      () => ({ ...task, request: text() }),
      () => proposeValue(request, task),
    );
  }

  /**
   * One line of `keel simulate --batch`, parsed, validated, run and serialised on a thread
   * whenever the pool has threads (a batch keeps every thread busy, so small cases go too).
   */
  batchLine(task: BatchLineTask): Promise<BatchLineOutcome> {
    return this.dispatch(
      'simulateBatchLine',
      true,
      () => task,
      () => simulateBatchLine(task),
    );
  }

  /** A chunk of a book: always on a thread when there are threads (chunks are large by design). */
  async bookChunk(task: BookChunkTask): Promise<BookChunkOutput> {
    if (this.threads === 0) {
      this.counts.inline++;
      return bookChunk(task);
    }
    this.counts.thread++;
    return (await this.piscina().run(task, { name: 'bookChunk' })) as BookChunkOutput;
  }

  /** Chunks waiting for a thread (the CLI keeps about two per thread in flight). */
  get queued(): number {
    return this.pool?.queueSize ?? 0;
  }

  private piscina(): Piscina {
    this.pool ??= new Piscina({
      filename: workerFile(),
      minThreads: 0,
      maxThreads: this.threads,
      idleTimeout: 60_000,
      maxQueue: MAX_QUEUED_TASKS,
    });
    return this.pool;
  }

  private async dispatch<T>(name: string, heavy: boolean, input: () => unknown, inline: () => T): Promise<T> {
    if (!heavy || this.threads === 0) {
      this.counts.inline++;
      return inline();
    }
    const pool = this.piscina();
    this.counts.thread++;
    try {
      return (await pool.run(input(), { name })) as T;
    } catch (error) {
      if (pool.queueSize >= MAX_QUEUED_TASKS || /queue is at limit/i.test(String((error as Error)?.message)))
        throw new EngineBusyError('every engine thread is busy and the queue is full');
      throw error;
    }
  }

  async close(): Promise<void> {
    const pool = this.pool;
    this.pool = null;
    await pool?.destroy();
  }
}
