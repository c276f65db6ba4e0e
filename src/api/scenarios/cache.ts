/**
 * Scenario read cache (spec 50 §4, docs/decisions/0041): `outputs` and `metrics/latest` JSON
 * bodies in Redis when REDIS_URL is set, keyed by the tenant's cache version. The version lives
 * in PostgreSQL and is bumped inside every writing transaction, so a key can never describe
 * data older than a committed write: no flush is needed and no stale read is possible. Concurrent
 * misses on one key share one load (singleflight), with or without Redis. A Redis failure only
 * costs the cache: the read goes to the database. When KEEL_SCENARIO_CACHE_INVALIDATION_CHANNEL
 * is set, every bump is also published there for external consumers.
 */
import { Redis } from 'ioredis';
import { type Env, envInt, envText } from '../config.js';
import type { Metrics } from '../metrics.js';

export type CachedEndpoint = 'outputs' | 'metrics_latest';

export interface CacheConfig {
  redisUrl?: string;
  /** Prefix of every key (one per deployment sharing a Redis). */
  prefix: string;
  ttlSeconds: number;
  /** Redis pub/sub channel for invalidation messages. */
  channel?: string;
}

export interface Invalidation {
  tenant_id: string;
  version: number;
  reason: string;
  scenario_id: string;
  run_id?: string | null;
}

interface Log {
  warn: (obj: object, msg: string) => void;
}

export function readCacheConfig(env: Env): CacheConfig {
  return {
    redisUrl: envText(env, 'REDIS_URL'),
    prefix: envText(env, 'KEEL_SCENARIO_CACHE_PREFIX') ?? 'keel:scenario-cache:',
    ttlSeconds: envInt(env, 'KEEL_SCENARIO_CACHE_TTL_SECONDS', 300, 1),
    channel: envText(env, 'KEEL_SCENARIO_CACHE_INVALIDATION_CHANNEL'),
  };
}

export class ScenarioCache {
  private readonly flights = new Map<string, Promise<string>>();
  private readonly redis: Redis | null;
  private lastWarning = 0;

  constructor(
    private readonly config: CacheConfig,
    private readonly metrics: Metrics,
    private readonly log: Log,
  ) {
    this.redis = config.redisUrl
      ? new Redis(config.redisUrl, {
          connectTimeout: 2000,
          maxRetriesPerRequest: 1,
          enableOfflineQueue: false,
        })
      : null;
    this.redis?.on('error', (err) => this.warn(err, 'scenario cache unavailable'));
  }

  get enabled(): boolean {
    return this.redis !== null;
  }

  /** Resolve once Redis is connected (or after `timeoutMs`); the cache works either way. */
  async ready(timeoutMs = 2000): Promise<void> {
    const redis = this.redis;
    if (!redis || redis.status === 'ready') return;
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        redis.off('ready', done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      redis.once('ready', done);
    });
  }

  /**
   * The body for `key` at the tenant's cache `version`: from Redis, or else from `load` (stored
   * afterwards). Concurrent calls for the same key and version share one lookup and one load.
   * Hits and misses count lookups after that collapsing.
   */
  read(
    endpoint: CachedEndpoint,
    tenant: string,
    version: number,
    key: string,
    load: () => Promise<string>,
  ): Promise<string> {
    const full = `${this.config.prefix}${encodeURIComponent(tenant)}:${version}:${endpoint}:${key}`;
    const inflight = this.flights.get(full);
    if (inflight) return inflight;
    const flight = (async () => {
      if (this.redis) {
        const cached = await this.redis
          .get(full)
          .catch((err: unknown) => this.warn(err, 'scenario cache read failed'));
        if (typeof cached === 'string') {
          this.metrics.cacheHits.inc({ endpoint });
          return cached;
        }
      }
      this.metrics.cacheMisses.inc({ endpoint });
      const value = await load();
      this.redis
        ?.set(full, value, 'EX', this.config.ttlSeconds)
        .catch((err: unknown) => this.warn(err, 'scenario cache write failed'));
      return value;
    })().finally(() => this.flights.delete(full));
    this.flights.set(full, flight);
    return flight;
  }

  /** After a committed write: tell external consumers, when a channel is configured. */
  async invalidated(message: Invalidation): Promise<void> {
    if (!this.redis || !this.config.channel) return;
    await this.redis
      .publish(this.config.channel, JSON.stringify({ type: 'scenario_cache_invalidation', ...message }))
      .catch((err: unknown) => this.warn(err, 'scenario cache invalidation not published'));
  }

  close(): void {
    this.redis?.disconnect();
  }

  private warn(err: unknown, msg: string): undefined {
    const now = Date.now();
    if (now - this.lastWarning > 30_000) {
      this.lastWarning = now;
      this.log.warn({ err }, msg);
    }
    return undefined;
  }
}
