/**
 * The OpenAPI document: named component schemas for every request and response, tags, every
 * field and header described, every scalar with an example — and a typed client generated from
 * it (openapi-typescript + openapi-fetch) that a small program type-checks against.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import openapiTS, { astToString } from 'openapi-typescript';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/http.js';

const SCALAR = new Set(['string', 'number', 'integer', 'boolean']);
const isScalar = (s: any): boolean =>
  (typeof s.type === 'string' && SCALAR.has(s.type)) ||
  (Array.isArray(s.type) && s.type.every((t: string) => SCALAR.has(t) || t === 'null')) ||
  (Array.isArray(s.anyOf) && s.anyOf.every((x: any) => isScalar(x) || x.type === 'null'));

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

describe('OpenAPI document', () => {
  let t: TestApp;
  let doc: any;
  let fields: { where: string; schema: any }[];
  const operations: { method: string; path: string; op: any }[] = [];
  beforeAll(async () => {
    t = await startTestApp('embedded');
    doc = (await t.get('/openapi.json')).json;
    fields = [];
    const seen = new Set<string>();
    const resolve = (s: any) => (s?.$ref ? doc.components.schemas[s.$ref.split('/').pop()] : s);
    const walk = (raw: any, where: string) => {
      if (!raw || typeof raw !== 'object') return;
      if (raw.$ref) {
        if (seen.has(raw.$ref)) return;
        seen.add(raw.$ref);
      }
      const s = resolve(raw);
      if (!s) throw new Error(`unresolved ${raw.$ref} at ${where}`);
      for (const [k, v] of Object.entries<any>(s.properties ?? {})) {
        fields.push({
          where: `${where}.${k}`,
          schema: { ...resolve(v), description: v.description ?? resolve(v)?.description },
        });
        walk(v, `${where}.${k}`);
      }
      for (const key of ['items', 'additionalProperties']) walk(s[key], where);
      for (const key of ['anyOf', 'oneOf', 'allOf']) (s[key] ?? []).forEach((x: any) => walk(x, where));
    };
    for (const [path, methods] of Object.entries<any>(doc.paths))
      for (const [method, op] of Object.entries<any>(methods)) {
        operations.push({ method, path, op });
        walk(op.requestBody?.content?.['application/json']?.schema, `${method} ${path} body`);
        for (const [code, r] of Object.entries<any>(op.responses ?? {}))
          walk(r.content?.['application/json']?.schema, `${method} ${path} ${code}`);
        for (const p of op.parameters ?? [])
          fields.push({
            where: `${method} ${path} ${p.in}.${p.name}`,
            schema: {
              ...p.schema,
              description: p.description ?? p.schema?.description,
              examples:
                p.schema?.examples ?? p.examples ?? (p.example !== undefined ? [p.example] : undefined),
            },
          });
      }
  });
  afterAll(async () => t.close());

  it('is titled for what it is and groups every route under a declared tag', () => {
    expect(doc.info.title).toMatch(/Keel rebalancing API/);
    const tags = doc.tags.map((tag: any) => tag.name);
    expect(tags).toEqual([
      'DPM',
      'Runs',
      'Operations',
      'Workflow',
      'Advisory',
      'Policies',
      'Proposals',
      'Scenarios',
      'Identity',
      'Books',
      'Health',
    ]);
    for (const { method, path, op } of operations) {
      expect(op.tags?.length, `${method} ${path}`).toBe(1);
      expect(tags, `${method} ${path}`).toContain(op.tags[0]);
    }
    const health = operations.filter((o) => o.path.startsWith('/health'));
    expect(health.map((o) => o.op.security)).toEqual([[], []]); // no identity needed
  });

  it('gives every request body and JSON response a named component schema', () => {
    for (const { method, path, op } of operations) {
      const body = op.requestBody?.content?.['application/json']?.schema;
      if (body) expect(body.$ref, `${method} ${path} body`).toMatch(/^#\/components\/schemas\/[A-Z]\w+$/);
      for (const [code, r] of Object.entries<any>(op.responses)) {
        const schema = r.content?.['application/json']?.schema;
        if (schema)
          expect(schema.$ref, `${method} ${path} ${code}`).toMatch(/^#\/components\/schemas\/[A-Z]\w+$/);
      }
    }
    for (const name of [
      'SimulateRequest',
      'RebalanceResult',
      'RunArtifact',
      'SupportBundle',
      'SupportabilitySummary',
      'ProposalResult',
      'ProposalArtifact',
      'OperationAccepted',
    ])
      expect(doc.components.schemas[name], name).toBeDefined();
  });

  it('has no object without properties except declared maps', () => {
    const empty = Object.entries<any>(doc.components.schemas)
      .filter(([, s]) => s.type === 'object' && !s.properties && !s.additionalProperties)
      .map(([name]) => name);
    expect(empty).toEqual([]);
    for (const name of ['RunArtifact', 'SupportBundle', 'SupportabilitySummary'])
      expect(Object.keys(doc.components.schemas[name].properties).length, name).toBeGreaterThan(5);
  });

  it('describes every header, in requests and responses', () => {
    const undocumented: string[] = [];
    for (const { method, path, op } of operations) {
      for (const p of (op.parameters ?? []).filter((x: any) => x.in === 'header'))
        if (!p.description && !p.schema?.description) undocumented.push(`${method} ${path} ${p.name}`);
      for (const [code, r] of Object.entries<any>(op.responses))
        for (const [name, h] of Object.entries<any>(r.headers ?? {}))
          if (!h.description) undocumented.push(`${method} ${path} ${code} ${name}`);
      if (!path.startsWith('/health')) {
        const names = (op.parameters ?? []).filter((x: any) => x.in === 'header').map((x: any) => x.name);
        expect(names, `${method} ${path}`).toEqual(expect.arrayContaining(['X-Tenant-Id', 'X-Request-Id']));
      }
      for (const r of Object.values<any>(op.responses))
        expect(r.headers?.['X-Request-Id'], `${method} ${path}`).toBeDefined();
    }
    expect(undocumented).toEqual([]);
    const accepted = doc.paths['/rebalance/analyze/async'].post.responses['202'];
    expect(accepted.headers['X-Correlation-Id'].description).toMatch(/correlation id/);
    const simulate = doc.paths['/rebalance/simulate'].post.parameters.map((p: any) => p.name);
    expect(simulate).toEqual(expect.arrayContaining(['Idempotency-Key', 'X-Correlation-Id', 'X-Tenant-Id']));
    expect(doc.paths['/rebalance/simulate'].post.responses['503'].headers['Retry-After']).toBeDefined();
  });

  const component = (ref: string) => doc.components.schemas[ref.split('/').pop()!];

  it('describes every field', () => {
    expect(fields.length).toBeGreaterThan(500);
    const undocumented = fields
      .filter(
        (f) =>
          !f.schema.description &&
          !(f.schema.anyOf ?? []).some(
            (x: any) => x.description || (x.$ref && component(x.$ref).description),
          ),
      )
      .map((f) => f.where);
    expect(undocumented).toEqual([]);
  });

  it('gives an example for every scalar field', () => {
    const missing = fields
      .filter(
        (f) =>
          isScalar(f.schema) &&
          !f.schema.examples &&
          !(f.schema.anyOf ?? []).some((x: any) => x.examples) &&
          !f.schema.enum &&
          f.schema.const === undefined,
      )
      .map((f) => f.where);
    expect(missing).toEqual([]);
  });

  it('generates a typed client that a small program type-checks against (and a wrong one does not)', async () => {
    const dir = join(ROOT, 'node_modules', '.cache', 'keel-openapi-client');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'keel-api.d.ts'), astToString(await openapiTS(doc)));
    const program = (wrong: string) => `
      import createClient from 'openapi-fetch';
      import type { components, paths } from './keel-api.js';
      const client = createClient<paths>({ baseUrl: 'http://127.0.0.1:8000' });
      export async function demo(): Promise<string> {
        const sim = await client.POST('/rebalance/simulate', {
          params: { header: { 'Idempotency-Key': 'demo-01', 'X-Correlation-Id': 'corr-1' } },
          body: {
            portfolio_snapshot: { portfolio_id: 'pf_1', base_currency: 'USD', positions: [{ instrument_id: 'EQ_1', quantity: '10' }] },
            market_data_snapshot: { prices: [{ instrument_id: 'EQ_1', price: '100', currency: 'USD' }] },
            model_portfolio: { targets: [{ instrument_id: 'EQ_1', weight: '1' }] },
            shelf_entries: [{ instrument_id: 'EQ_1', status: 'APPROVED' }],
            options: { target_method: 'SOLVER' },
          },
        });
        if (sim.error) return sim.error.detail.toString();
        const status: 'READY' | 'PENDING_REVIEW' | 'BLOCKED' = sim.data.status;
        const op = await client.GET('/rebalance/operations/{operation_id}', { params: { path: { operation_id: 'dop_1' } } });
        const accepted: components['schemas']['OperationAccepted'] | undefined = undefined;
        const bundle = await client.GET('/rebalance/runs/{rebalance_run_id}/support-bundle', {
          params: { path: { rebalance_run_id: sim.data.rebalance_run_id }, query: { include_artifact: true } },
        });
        const hash: string | undefined = bundle.data?.artifact?.evidence.hashes.artifact_hash;
        ${wrong}
        return [status, op.data?.result?.batch_run_id, accepted, hash].join();
      }
    `;
    // One program, three files: the right one compiles; an unknown field and a wrong enum value do not.
    const files = {
      ok: program(''),
      unknownField: program('const x: number = sim.data.no_such_field;'),
      wrongEnum: program("const y: typeof sim.data.status = 'DONE';"),
    };
    for (const [name, source] of Object.entries(files)) writeFileSync(join(dir, `${name}.ts`), source);
    const compiled = ts.createProgram(
      Object.keys(files).map((name) => join(dir, `${name}.ts`)),
      {
        strict: true,
        noEmit: true,
        module: ts.ModuleKind.NodeNext,
        moduleResolution: ts.ModuleResolutionKind.NodeNext,
        target: ts.ScriptTarget.ES2022,
        skipLibCheck: true,
      },
    );
    const errors = (name: string) =>
      ts
        .getPreEmitDiagnostics(compiled, compiled.getSourceFile(join(dir, `${name}.ts`)))
        .map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    expect(errors('ok')).toEqual([]);
    expect(errors('unknownField').join()).toMatch(/no_such_field/);
    expect(errors('wrongEnum').join()).toMatch(/DONE/);
  }, 60_000);
});
