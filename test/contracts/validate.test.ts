/**
 * The fast validation path (Zod's ahead-of-time compiled parser, generated from the same
 * schemas) gives exactly the runtime parser's result — the same value, key order, decimal
 * text and exponent — or exactly its field errors, on generated and fuzzed request bodies.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { proposalRequestSchema } from '../../src/contracts/advisory-request.js';
import { isDec, text } from '../../src/contracts/decimal.js';
import { analyzeRequestSchema } from '../../src/contracts/dpm-analyze.js';
import {
  engineOptionsFields,
  engineOptionsSchema,
  simulateRequestSchema,
} from '../../src/contracts/dpm-request.js';
import { parseJsonText, validate } from '../../src/contracts/parse.js';
import { toFieldErrors } from '../../src/contracts/primitives.js';
import { generateRequest, prng } from '../../src/tools/generate-request.js';

/** Value with its types: decimals tagged with text and scale, key order kept. */
function describeResult(result: z.ZodSafeParseResult<unknown>): string {
  if (!result.success) return `errors ${JSON.stringify(toFieldErrors(result.error))}`;
  return JSON.stringify(result.data, function (this: Record<string, unknown>, key, value: unknown) {
    const raw = this[key];
    return isDec(raw) ? `dec:${text(raw)}:${raw.scale()}` : value;
  });
}

const SCHEMAS: Record<'simulate' | 'proposal' | 'analyze' | 'options', z.ZodType> = {
  simulate: simulateRequestSchema,
  proposal: proposalRequestSchema,
  analyze: analyzeRequestSchema,
  options: engineOptionsSchema,
};
const COMPILED = Object.fromEntries(
  Object.entries(SCHEMAS).map(([name, schema]) => [name, z.compile(schema, { strict: true })]),
) as typeof SCHEMAS;

const outcomes = { valid: 0, invalid: 0 };

function same(name: keyof typeof SCHEMAS, raw: unknown): void {
  const result = SCHEMAS[name].safeParse(raw, { reportInput: true });
  outcomes[result.success ? 'valid' : 'invalid']++;
  const runtime = describeResult(result);
  const compiled = describeResult(COMPILED[name].safeParse(raw, { reportInput: true }));
  if (compiled !== runtime) expect(compiled).toBe(runtime);
}

const JUNK: unknown[] = [
  null,
  true,
  false,
  0,
  -1,
  1,
  2,
  3.5,
  '',
  ' ',
  'x',
  '1e5',
  '0x1',
  '1_0',
  'NaN',
  [],
  {},
  [1],
  { a: 1 },
  '12.50',
  '-3',
  ' 7 ',
  'YES',
  'off',
  'SELL',
  'APPROVED',
  'L4',
  '9'.repeat(60),
  '1e-60',
];

/** Every path to a value inside a JSON tree. */
function paths(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  if (value === null || typeof value !== 'object') return [];
  const out: (string | number)[][] = [];
  for (const [k, v] of Object.entries(value)) {
    const path = [...prefix, Array.isArray(value) ? Number(k) : k];
    out.push(path, ...paths(v, path));
  }
  return out;
}

/** A request body of `kind` with 0–3 random fields replaced, removed or given extra keys. */
function fuzzedBody(kind: 'simulate' | 'proposal' | 'analyze', seed: number): unknown {
  const rand = prng(seed);
  const body = generateRequest({
    positions: 1 + (seed % 9),
    seed,
    constraints: seed % 2 === 0,
    controls: seed % 3 === 0,
    mixedShelf: seed % 5 === 0,
  }) as Record<string, any>;
  if (seed % 4 === 0)
    Object.assign(body.options, {
      settlement_horizon_days: 3,
      allow_restricted: 'yes',
      max_overdraft_by_ccy: { USD: '5' },
      suitability_thresholds: { max_weight_by_liquidity_tier: { L3: '0.2' } },
      target_method: seed % 8 === 0 ? 'SOLVER' : 'HEURISTIC',
    });
  if (kind === 'proposal') {
    delete body.model_portfolio;
    body.proposed_trades = body.portfolio_snapshot.positions.slice(0, 3).map((p: any, i: number) => ({
      side: i % 2 ? 'BUY' : 'SELL',
      instrument_id: p.instrument_id,
      ...(i === 2 ? { notional: { amount: '100.5', currency: 'USD' } } : { quantity: String(1 + i) }),
    }));
    body.proposed_cash_flows = [{ currency: 'EUR', amount: '1000.50' }];
    if (seed % 2) body.reference_model = { model_id: 'm', as_of: 'x', base_currency: 'USD' };
  }
  if (kind === 'analyze') {
    body.scenarios = {
      base: { options: body.options },
      alt: { description: 'x', options: { max_turnover_pct: '0.1' } },
    };
    delete body.options;
  }
  const all = paths(body);
  for (let n = Math.floor(rand() * 4); n > 0; n--) {
    const path = all[Math.floor(rand() * all.length)]!;
    let parent: any = body;
    for (const step of path.slice(0, -1)) parent = parent?.[step];
    if (parent === null || typeof parent !== 'object') continue;
    const last = path[path.length - 1]!;
    const r = rand();
    if (r < 0.2) delete parent[last];
    else if (r < 0.3) parent[`extra_${n}`] = JUNK[Math.floor(rand() * JUNK.length)];
    else parent[last] = structuredClone(JUNK[Math.floor(rand() * JUNK.length)]);
  }
  // Through JSON text, so numbers arrive as tokens the way the CLI and HTTP layers see them.
  let json = JSON.stringify(body);
  if (rand() < 0.3) json = json.replace(/"(\d+\.\d+)"/, '$1');
  if (rand() < 0.2) json = json.replace(/"settlement_days":(\d)/, '"settlement_days":$1.0');
  const parsed = parseJsonText(json);
  return parsed.ok ? parsed.value : body;
}

describe('compiled validation equals the runtime parser', () => {
  it.each(['simulate', 'proposal', 'analyze'] as const)('%s: generated and fuzzed bodies', (kind) => {
    outcomes.valid = outcomes.invalid = 0;
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1_000_000 }), (seed) => {
        same(kind, fuzzedBody(kind, seed));
      }),
      { numRuns: 400 },
    );
    // Both the fast path (valid bodies) and the fallback (invalid ones) were exercised.
    expect(outcomes.valid).toBeGreaterThan(40);
    expect(outcomes.invalid).toBeGreaterThan(40);
  });

  it('engine options: arbitrary values in every field', () => {
    const keys = Object.keys(engineOptionsFields);
    fc.assert(
      fc.property(
        fc.dictionary(fc.constantFrom(...keys), fc.oneof(fc.constantFrom(...JUNK), fc.jsonValue()), {
          maxKeys: 6,
        }),
        (options) => {
          same('options', options);
        },
      ),
      { numRuns: 2_000 },
    );
  });

  it('issue 15 fields: lot_size / quantity_increment on shelf entries and the band options', () => {
    const LOTS: unknown[] = [undefined, null, '100', '0.001', '0', '-1', 'x', 7, '10', '0.5', '3'];
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2 ** 31 - 1 }),
        fc.constantFrom(...LOTS),
        fc.constantFrom(...LOTS),
        fc.constantFrom(undefined, null, '0.02', '1.5', -1, 'TARGET'),
        fc.constantFrom(undefined, 'TARGET', 'BAND_EDGE', 'MIDDLE', null),
        (seed, lot, increment, band, to) => {
          const body = generateRequest({ positions: 3, seed }) as any;
          const entry = body.shelf_entries[0];
          if (lot !== undefined) entry.lot_size = lot;
          if (increment !== undefined) entry.quantity_increment = increment;
          if (band !== undefined) body.options.drift_band_abs = band;
          if (to !== undefined) body.options.drift_band_rebalance_to = to;
          same('simulate', body);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('validate() takes the compiled path from the second use on and still reports the same errors', () => {
    const body = fuzzedBody('simulate', 2);
    const bad = { ...(body as object), options: { target_method: 'solver', settlement_horizon_days: 11 } };
    const first = validate(simulateRequestSchema, bad);
    const second = validate(simulateRequestSchema, bad);
    expect(second).toEqual(first);
    expect(second.ok).toBe(false);
    expect(validate(simulateRequestSchema, body).ok).toBe(true);
  });
});
