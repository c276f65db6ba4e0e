/** The OpenAPI document: every field described, every scalar field with an example. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/http.js';

const SCALAR = new Set(['string', 'number', 'integer', 'boolean']);
const isScalar = (s: any): boolean =>
  (typeof s.type === 'string' && SCALAR.has(s.type)) ||
  (Array.isArray(s.type) && s.type.every((t: string) => SCALAR.has(t) || t === 'null')) ||
  (Array.isArray(s.anyOf) && s.anyOf.every((x: any) => isScalar(x) || x.type === 'null'));

describe('OpenAPI document', () => {
  let t: TestApp;
  let fields: { where: string; schema: any }[];
  beforeAll(async () => {
    t = await startTestApp('embedded');
    const doc = (await t.get('/openapi.json')).json;
    fields = [];
    const walk = (s: any, where: string) => {
      if (!s || typeof s !== 'object') return;
      for (const [k, v] of Object.entries<any>(s.properties ?? {})) {
        fields.push({ where: `${where}.${k}`, schema: v });
        walk(v, `${where}.${k}`);
      }
      for (const key of ['items', 'additionalProperties']) walk(s[key], where);
      for (const key of ['anyOf', 'oneOf', 'allOf']) (s[key] ?? []).forEach((x: any) => walk(x, where));
    };
    for (const [path, methods] of Object.entries<any>(doc.paths))
      for (const [method, op] of Object.entries<any>(methods)) {
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

  it('describes every field', () => {
    expect(fields.length).toBeGreaterThan(500);
    const undocumented = fields
      .filter((f) => !f.schema.description && !(f.schema.anyOf ?? []).some((x: any) => x.description))
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
});
