/**
 * The `keel` command. Engine commands read request bodies (a file or `-` for stdin) and print
 * result JSON on stdout; invalid input exits with code 2 and the field errors on stderr.
 */
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { analyzeRequestSchema } from '../contracts/dpm-analyze.js';
import { simulateRequestSchema } from '../contracts/dpm-request.js';
import { canonicalHash } from '../contracts/canonical.js';
import { parseAndValidate } from '../contracts/parse.js';
import type { FieldError } from '../contracts/primitives.js';
import { buildProposalArtifact } from '../advisory/artifact.js';
import { simulateProposal } from '../advisory/proposal.js';
import { proposalJsonText } from '../advisory/wire.js';
import { proposalRequestSchema } from '../contracts/advisory-request.js';
import { analyzeBatch, EPOCH_UTC } from '../engine/batch.js';
import { simulateRebalance } from '../engine/pipeline.js';
import { batchJsonText, type Json, resultJsonText } from '../engine/wire.js';
import { loadSolver } from '../engine/targets/solver.js';
import { envInt } from '../api/config.js';
import { EnginePool } from '../compute/engine-pool.js';
import { type BatchLineOutcome, simulateBatchLine } from '../compute/tasks.js';

const USAGE = `Usage: keel <command> [options]

Commands:
  serve                  Start the HTTP service (PORT, HOST, DATABASE_URL or KEEL_DATA_DIR; see README).
  worker                 Run queued jobs only, no HTTP (needs DATABASE_URL; KEEL_WORKER_CONCURRENCY).
  migrate                Apply database migrations (DATABASE_URL, else the embedded store in KEEL_DATA_DIR).
  simulate FILE|-        Run one /rebalance/simulate request body; print the result JSON.
  simulate --batch       Read JSON Lines of simulate bodies on stdin; write one result per line.
  analyze FILE|-         Run one /rebalance/analyze body (batch what-if); print the batch result.
  propose FILE|-         Run one /rebalance/proposals/simulate body; print the proposal result
                         (--artifact: the proposal artifact instead).
  book FILE|-            Run a book (JSON Lines: shared line, then one portfolio per line) on every
                         core; print {summary, exceptions, blocks, fx_blocks}. --results FILE: each
                         portfolio's simulate result (JSON Lines, input order); --csv FILE, --fix FILE:
                         the block orders; --net: net blocks per instrument.
  help                   Show this text.

Options:
  --pretty               Indent the JSON output.
  --run-at ISO           analyze: run_at_utc; propose --artifact: created_at (default: the Unix
                         epoch, so output is a pure function of the input).
  --correlation-id ID    propose, simulate: the correlation id (default: derived from the request
                         hash for propose, c_none for simulate).
  --request-hash HASH    simulate: the request hash recorded in the lineage (default: the canonical
                         hash of the body); the run id derives from it.
  --run-id ID            simulate: the rebalance run id (default: rr_ + hash of the request hash).
  --idempotency-key KEY  propose: the idempotency key recorded in the lineage (default: none).
  With --batch, --correlation-id applies to every line; --request-hash and --run-id are refused.
  --results FILE, --csv FILE, --fix FILE, --net   book: see above (--run-at: the FIX sending time).

Exit codes: 0 success; 2 invalid input (errors as JSON on stderr; with --batch, after every
line was processed, if any line was invalid); 1 anything else.`;

class InputError extends Error {
  constructor(readonly body: { detail: FieldError[] | string }) {
    super('invalid input');
  }
}

function readInput(file: string | undefined): string {
  if (!file) throw new InputError({ detail: 'missing FILE argument (use - for stdin)' });
  try {
    return readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (error) {
    throw new InputError({ detail: `cannot read ${file}: ${(error as Error).message}` });
  }
}

function print(value: unknown, pretty: boolean): void {
  process.stdout.write(`${JSON.stringify(value, null, pretty ? 2 : undefined)}\n`);
}

/**
 * Print JSON text the engine already serialised: as it is (one copy, no re-parse), or indented.
 * The text and its newline are written separately so a megabyte result is not copied again
 * into a concatenated string.
 */
function printText(json: string, pretty: boolean): void {
  if (pretty) return print(JSON.parse(json), true);
  process.stdout.write(json);
  process.stdout.write('\n');
}

/** What `keel simulate` may pin so a stored run is reproduced exactly. */
interface SimulateIds {
  correlationId?: string;
  requestHash?: string;
  runId?: string;
}

function simulateText(text: string, ids: SimulateIds = {}) {
  const parsed = parseAndValidate(simulateRequestSchema, text);
  if (!parsed.ok) return parsed;
  const result = simulateRebalance(parsed.value, {
    requestHash: ids.requestHash ?? canonicalHash(parsed.value),
    ...(ids.runId !== undefined ? { rebalanceRunId: ids.runId } : {}),
    ...(ids.correlationId !== undefined ? { correlationId: ids.correlationId } : {}),
  });
  return { ok: true as const, value: resultJsonText(result) };
}

/** Cases queued on each worker thread: enough that it never waits for this thread, bounded in memory. */
const BATCH_QUEUED_PER_THREAD = 2;

/** A given id must be a non-blank string without control characters. */
function checkId(flag: string, value: string | undefined): string | undefined {
  // eslint-disable-next-line no-control-regex -- control characters are what is refused
  if (value !== undefined && (value.trim() === '' || /[\u0000-\u001f]/.test(value)))
    throw new InputError({ detail: `--${flag} must be a non-blank string without control characters` });
  return value;
}

/**
 * `simulate --batch`: the cases are spread over KEEL_ENGINE_THREADS engines (default: one per
 * core; 0 or 1: this thread only) — this thread and KEEL_ENGINE_THREADS − 1 worker threads of the
 * engine pool — and the results written in input order. A case goes to a worker when fewer than
 * BATCH_QUEUED_PER_THREAD wait there, otherwise it runs here. Each line's whole path (parse,
 * validate, hash, engine, serialise) runs through the same function in either place, so the
 * output bytes do not depend on the thread count (docs/decisions/0063). `--correlation-id`
 * applies to every line.
 */
async function simulateBatch(pretty: boolean, ids: SimulateIds): Promise<number> {
  const engines = envInt(process.env, 'KEEL_ENGINE_THREADS', EnginePool.defaultThreads(), 0);
  const pool = new EnginePool({ threads: Math.max(0, engines - 1) });
  const queueLimit = pool.threads * BATCH_QUEUED_PER_THREAD;
  const task = (line: string) => ({
    line,
    pretty,
    ...(ids.correlationId !== undefined ? { correlationId: ids.correlationId } : {}),
  });
  let invalid = 0;
  let queued = 0;
  const write = async (outcome: BatchLineOutcome) => {
    if (outcome.invalid) invalid++;
    process.stdout.write(outcome.text);
    if (!process.stdout.write('\n')) await new Promise((r) => process.stdout.once('drain', r));
  };
  // In input order; `done` is set once a worker's outcome has arrived.
  const pending: { outcome: Promise<BatchLineOutcome>; done: boolean }[] = [];
  const flush = async (all: boolean) => {
    while (pending.length > 0 && (all || pending[0]!.done || pending.length > 2 * queueLimit + 1))
      await write(await pending.shift()!.outcome);
  };
  const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
  try {
    for await (const line of lines) {
      if (line.trim() === '') continue;
      if (queued < queueLimit) {
        queued++;
        const entry = { outcome: pool.batchLine(task(line)), done: false };
        entry.outcome.then(
          () => ((entry.done = true), queued--),
          () => ((entry.done = true), queued--),
        );
        pending.push(entry);
      } else {
        pending.push({ outcome: Promise.resolve(simulateBatchLine(task(line))), done: true });
      }
      await flush(false);
    }
    await flush(true);
  } finally {
    await pool.close();
  }
  return invalid > 0 ? 2 : 0;
}

export async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      batch: { type: 'boolean', default: false },
      pretty: { type: 'boolean', default: false },
      'run-at': { type: 'string' },
      artifact: { type: 'boolean', default: false },
      'correlation-id': { type: 'string' },
      'request-hash': { type: 'string' },
      'run-id': { type: 'string' },
      'idempotency-key': { type: 'string' },
      results: { type: 'string' },
      csv: { type: 'string' },
      fix: { type: 'string' },
      net: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const [command, file] = positionals;
  if (values.help || !command || command === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return command || values.help ? 0 : 1;
  }
  try {
    switch (command) {
      case 'serve': {
        const { serve } = await import('../api/cluster.js');
        await serve();
        return 0;
      }
      case 'worker': {
        const { runWorker } = await import('../jobs/worker.js');
        await runWorker();
        return 0;
      }
      case 'migrate': {
        const { openDatabase } = await import('../store/database.js');
        const { migrate } = await import('../store/migrations.js');
        const { readServerConfig } = await import('../api/server.js');
        const config = readServerConfig(process.env);
        const db = await openDatabase({
          url: config.databaseUrl,
          dataDir: config.dataDir,
          timeouts: config.timeouts,
        });
        try {
          const applied = await migrate(db);
          process.stdout.write(`${JSON.stringify({ applied })}\n`);
        } finally {
          await db.close();
        }
        return 0;
      }
      case 'simulate': {
        const ids: SimulateIds = {
          correlationId: checkId('correlation-id', values['correlation-id']),
          requestHash: checkId('request-hash', values['request-hash']),
          runId: checkId('run-id', values['run-id']),
        };
        if (values.batch && (ids.requestHash !== undefined || ids.runId !== undefined))
          throw new InputError({
            detail: '--request-hash and --run-id name one run; they cannot be used with --batch',
          });
        await loadSolver();
        if (values.batch) return await simulateBatch(values.pretty, ids);
        const outcome = simulateText(readInput(file), ids);
        if (!outcome.ok) throw new InputError({ detail: outcome.errors });
        printText(outcome.value, values.pretty);
        return 0;
      }
      case 'analyze': {
        await loadSolver();
        const parsed = parseAndValidate(analyzeRequestSchema, readInput(file));
        if (!parsed.ok) throw new InputError({ detail: parsed.errors });
        const result = analyzeBatch(parsed.value, {
          requestHash: canonicalHash(parsed.value),
          runAtUtc: values['run-at'],
        });
        printText(batchJsonText(result), values.pretty);
        return 0;
      }
      case 'propose': {
        const parsed = parseAndValidate(proposalRequestSchema, readInput(file));
        if (!parsed.ok) throw new InputError({ detail: parsed.errors });
        const request = parsed.value;
        const requestHash = canonicalHash(request);
        const result = simulateProposal(request, {
          requestHash,
          correlationId: values['correlation-id'] ?? `corr_${requestHash.slice(7, 19)}`,
          idempotencyKey: values['idempotency-key'] ?? null,
        });
        const text = proposalJsonText(result);
        if (!values.artifact) printText(text, values.pretty);
        else
          print(
            buildProposalArtifact(request, result, JSON.parse(text) as Json, values['run-at'] ?? EPOCH_UTC),
            values.pretty,
          );
        return 0;
      }
      case 'book': {
        if (!file) throw new InputError({ detail: 'missing FILE argument (use - for stdin)' });
        const { BookInputError, defaultThreads, runBook } = await import('./book.js');
        try {
          const { output, failed } = await runBook({
            file,
            results: values.results,
            csv: values.csv,
            fix: values.fix,
            net: values.net,
            pretty: values.pretty,
            runAt: values['run-at'],
            chunkSize: Math.max(1, Number(process.env.KEEL_BOOK_CHUNK_SIZE) || 250),
            threads:
              process.env.KEEL_ENGINE_THREADS !== undefined && process.env.KEEL_ENGINE_THREADS !== ''
                ? Math.max(0, Number(process.env.KEEL_ENGINE_THREADS))
                : defaultThreads(),
          });
          process.stdout.write(output);
          process.stdout.write('\n');
          return failed > 0 ? 2 : 0;
        } catch (error) {
          if (error instanceof BookInputError) throw new InputError(error.body);
          throw error;
        }
      }
      default:
        process.stderr.write(`keel: unknown command '${command}'\n\n${USAGE}\n`);
        return 1;
    }
  } catch (error) {
    if (error instanceof InputError) {
      process.stderr.write(`${JSON.stringify(error.body)}\n`);
      return 2;
    }
    throw error;
  }
}

// A reader that stops early (`keel book … | head`) closes the pipe: stop quietly, as Unix tools do.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  async (error: unknown) => {
    // Start-up problems the operator can fix are said plainly; anything else with its stack.
    const { StartupError } = await import('../api/server.js');
    const { DatabaseOpenError, describe } = await import('../store/database.js');
    const plain = error instanceof StartupError || error instanceof DatabaseOpenError;
    process.stderr.write(
      `keel: ${plain ? error.message : error instanceof Error ? (error.stack ?? error.message) : describe(error)}\n`,
    );
    process.exitCode = 1;
  },
);
