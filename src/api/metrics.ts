/**
 * Prometheus metrics (spec 50 §5) with prom-client, one registry per process role (the HTTP
 * service, a `keel worker`): HTTP request counts and latency by route template and status, job
 * queue depth and job latency by queue, scenario run durations by final state, scenario cache
 * hits and misses, and the process's own runtime metrics. No label carries a tenant, an id or a
 * raw URL, so a scrape reveals no tenant data and cardinality stays bounded
 * (docs/decisions/0043).
 */
import type { FastifyInstance } from 'fastify';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { JobQueue } from '../store/queue.js';

const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const RUN_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900];

export class Metrics {
  readonly registry = new Registry();
  readonly httpRequests = new Counter({
    name: 'keel_http_requests_total',
    help: 'HTTP requests answered, by method, route template and status code.',
    labelNames: ['method', 'route', 'status_code'] as const,
    registers: [this.registry],
  });
  readonly httpDuration = new Histogram({
    name: 'keel_http_request_duration_seconds',
    help: 'HTTP request latency, by method, route template and status code.',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  readonly jobWait = new Histogram({
    name: 'keel_queue_job_wait_seconds',
    help: 'Time from enqueue to the start of a job attempt, by queue.',
    labelNames: ['queue'] as const,
    buckets: RUN_BUCKETS,
    registers: [this.registry],
  });
  readonly jobRun = new Histogram({
    name: 'keel_queue_job_duration_seconds',
    help: 'Job attempt run time, by queue and outcome (completed, failed).',
    labelNames: ['queue', 'outcome'] as const,
    buckets: RUN_BUCKETS,
    registers: [this.registry],
  });
  readonly runDuration = new Histogram({
    name: 'keel_scenario_run_duration_seconds',
    help: 'Scenario run time from start to its final state, by final state.',
    labelNames: ['state'] as const,
    buckets: RUN_BUCKETS,
    registers: [this.registry],
  });
  readonly cacheHits = new Counter({
    name: 'keel_scenario_cache_hits_total',
    help: 'Scenario output and latest-metrics reads answered from the cache.',
    labelNames: ['endpoint'] as const,
    registers: [this.registry],
  });
  readonly cacheMisses = new Counter({
    name: 'keel_scenario_cache_misses_total',
    help: 'Scenario output and latest-metrics reads that queried the database.',
    labelNames: ['endpoint'] as const,
    registers: [this.registry],
  });
  private readonly queueDepth = new Gauge({
    name: 'keel_queue_depth',
    help: 'Jobs waiting to start, by queue (read at scrape time).',
    labelNames: ['queue'] as const,
    registers: [this.registry],
  });
  private readonly queueActive = new Gauge({
    name: 'keel_queue_active_jobs',
    help: 'Jobs running, by queue (read at scrape time).',
    labelNames: ['queue'] as const,
    registers: [this.registry],
  });
  private queues: { queue: JobQueue; names: string[] } | null = null;

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'keel_' });
  }

  /** Observe a job queue: attempt latency as jobs finish, depth of `names` at scrape time. */
  watchQueue(queue: JobQueue, names: string[]): void {
    this.queues = { queue, names };
    queue.observe((o) => {
      this.jobWait.observe({ queue: o.queue }, o.waitSeconds);
      this.jobRun.observe({ queue: o.queue, outcome: o.outcome }, o.runSeconds);
    });
  }

  /** The exposition text; queue depth is read from the database now (a failed read leaves the last value). */
  async render(): Promise<string> {
    if (this.queues) {
      for (const name of this.queues.names) {
        try {
          const depth = await this.queues.queue.depth(name);
          this.queueDepth.set({ queue: name }, depth.waiting);
          this.queueActive.set({ queue: name }, depth.active);
        } catch {
          // the database is unreachable: readiness reports it; the scrape still answers
        }
      }
    }
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}

/** Count and time every response of the service by its route template (not the raw URL). */
export function registerHttpMetrics(app: FastifyInstance, metrics: Metrics): void {
  app.addHook('onResponse', async (request, reply) => {
    const labels = {
      method: request.method,
      route: request.routeOptions.url ?? 'unmatched',
      status_code: String(reply.statusCode),
    };
    metrics.httpRequests.inc(labels);
    metrics.httpDuration.observe(labels, reply.elapsedTime / 1000);
  });
}
