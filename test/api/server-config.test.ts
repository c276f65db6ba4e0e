/** Start-up configuration: defaults, the production persistence guardrail. */
import { describe, expect, it } from 'vitest';
import { readServerConfig, StartupError } from '../../src/api/server.js';

describe('server configuration', () => {
  it('defaults to loopback:8000 on the embedded store in ./data', () => {
    expect(readServerConfig({})).toMatchObject({
      host: '127.0.0.1',
      port: 8000,
      dataDir: './data',
      databaseUrl: undefined,
      workers: 2,
    });
  });

  it('refuses APP_PERSISTENCE_PROFILE=PRODUCTION without a PostgreSQL server', () => {
    expect(() => readServerConfig({ APP_PERSISTENCE_PROFILE: ' production ' })).toThrow(StartupError);
    expect(() => readServerConfig({ APP_PERSISTENCE_PROFILE: 'PRODUCTION' })).toThrow(
      /PERSISTENCE_PROFILE_REQUIRES_DPM_POSTGRES_DSN/,
    );
    expect(
      readServerConfig({ APP_PERSISTENCE_PROFILE: 'PRODUCTION', DATABASE_URL: 'postgres://db/keel' })
        .databaseUrl,
    ).toBe('postgres://db/keel');
    expect(readServerConfig({ APP_PERSISTENCE_PROFILE: 'LOCAL' }).databaseUrl).toBeUndefined();
  });

  it('ignores unparsable integers and keeps the default', () => {
    expect(readServerConfig({ PORT: 'eighty', KEEL_WORKER_CONCURRENCY: '-1' })).toMatchObject({
      port: 8000,
      workers: 2,
    });
  });
});
