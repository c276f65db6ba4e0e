/**
 * The review console's static files at /console: built by `npm run build` (dist/console), public
 * (no token), every page URL answers the app, a strict CSP, and a clear 404 when not built.
 */
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSOLE_CSP } from '../../src/api/console/routes.js';
import { startTestApp, type TestApp } from '../support/http.js';

const SECRET = 'a-console-test-secret-of-sufficient-length-42';

describe('console static files (embedded)', () => {
  let t: TestApp;
  let dir: string;
  beforeAll(async () => {
    // A stand-in build, so this test does not depend on `npm run build` having run.
    dir = mkdtempSync(join(tmpdir(), 'keel-console-'));
    mkdirSync(join(dir, 'assets'));
    writeFileSync(
      join(dir, 'index.html'),
      '<!doctype html><title>console</title><script src="/console/assets/app-1.js"></script>',
    );
    writeFileSync(join(dir, 'assets', 'app-1.js'), 'console.log(1)');
    t = await startTestApp('embedded', { KEEL_JWT_SECRET: SECRET, KEEL_CONSOLE_DIR: dir });
  }, 120_000);
  afterAll(async () => {
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves the page at every console URL without a token, with a strict CSP', async () => {
    for (const url of [
      '/console',
      '/console/',
      '/console/runs',
      '/console/runs/rr_1?x=1',
      '/console/proposals/pp_1',
      '/console/books/b1',
    ]) {
      const res = await t.get(url);
      expect(res.status, url).toBe(200);
      expect(res.text, url).toContain('<title>console</title>');
      expect(res.headers['content-type'], url).toMatch(/text\/html/);
      expect(res.headers['content-security-policy'], url).toBe(CONSOLE_CSP);
      expect(res.headers['cache-control'], url).toBe('no-cache');
    }
    expect(CONSOLE_CSP).toContain("default-src 'none'");
    expect(CONSOLE_CSP).toContain("script-src 'self'");
    expect(CONSOLE_CSP).toContain("connect-src 'self'");
    expect(CONSOLE_CSP).not.toMatch(/unsafe-inline|unsafe-eval|https?:/);
  });

  it('serves hashed assets as immutable, and a missing asset is 404 (not the page)', async () => {
    const asset = await t.get('/console/assets/app-1.js');
    expect(asset.status).toBe(200);
    expect(asset.headers['content-type']).toMatch(/javascript/);
    expect(asset.headers['cache-control']).toMatch(/immutable/);
    expect(asset.headers['content-security-policy']).toBe(CONSOLE_CSP);
    const missing = await t.get('/console/assets/nope.js');
    expect(missing.status).toBe(404);
    expect(missing.json).toEqual({ detail: 'Not Found' });
  });

  it('keeps the API behind the token and out of the OpenAPI document', async () => {
    expect((await t.get('/rebalance/runs')).status).toBe(401);
    expect((await t.get('/consoles')).status).toBe(401);
    const doc = (await t.get('/openapi.json')).json;
    expect(Object.keys(doc.paths).filter((p: string) => p.startsWith('/console'))).toEqual([]);
    expect(doc.paths['/me'].get.tags).toEqual(['Identity']);
  });

  it('says how to build it when dist/console is missing', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'keel-console-empty-'));
    await t.restart({ KEEL_JWT_SECRET: SECRET, KEEL_CONSOLE_DIR: empty });
    try {
      const res = await t.get('/console/runs');
      expect(res.status).toBe(404);
      expect(res.json).toEqual({
        detail: 'CONSOLE_NOT_BUILT: run npm run build to build the review console',
      });
      expect(res.headers['content-security-policy']).toBe(CONSOLE_CSP);
    } finally {
      rmSync(empty, { recursive: true, force: true });
      await t.restart();
    }
  });
});
