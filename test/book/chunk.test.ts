/**
 * The book chunk task (issue 16): every portfolio's result is byte for byte what `keel simulate`
 * gives for its body alone — with per-portfolio option overrides, controls (lots, turnover cap,
 * settlement) and a mixed shelf — and a bad override fails its line alone, naming the field.
 */
import { describe, expect, it } from 'vitest';
import { bookChunk } from '../../src/compute/tasks.js';
import { canonicalHash } from '../../src/contracts/canonical.js';
import { simulateRequestSchema } from '../../src/contracts/dpm-request.js';
import { parseAndValidate } from '../../src/contracts/parse.js';
import { simulateRebalance } from '../../src/engine/pipeline.js';
import { resultJsonText } from '../../src/engine/wire.js';
import { generateRequest } from '../../src/tools/generate-request.js';
import { simulateBodyOf } from '../support/book.js';

function single(body: unknown): string {
  const parsed = parseAndValidate(simulateRequestSchema, JSON.stringify(body));
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  return resultJsonText(simulateRebalance(parsed.value, { requestHash: canonicalHash(parsed.value) }));
}

describe('book chunk task', () => {
  const base = generateRequest({
    positions: 15,
    seed: 3,
    constraints: true,
    mixedShelf: true,
    controls: true,
  });
  const shared = {
    market_data_snapshot: base.market_data_snapshot,
    shelf_entries: base.shelf_entries,
    models: { a: base.model_portfolio, b: generateRequest({ positions: 15, seed: 9 }).model_portfolio },
    options: base.options,
  };
  const overrides = [
    undefined,
    { max_turnover_pct: '0.05' },
    { target_method: 'HEURISTIC', cash_band_max_weight: '0.02' },
    { enable_tax_awareness: false, min_trade_notional: { amount: '5000', currency: 'USD' } },
    { single_position_max_weight: null },
  ];
  const lines = Array.from({ length: 25 }, (_, i) => {
    const p = generateRequest({ positions: 15, seed: 100 + i, controls: i % 2 === 0 });
    const options = overrides[i % overrides.length];
    return JSON.stringify({
      portfolio_snapshot: { ...(p.portfolio_snapshot as object), portfolio_id: `p${i}` },
      model_id: i % 3 === 0 ? 'b' : 'a',
      ...(options && { options }),
    });
  });

  it('gives every portfolio exactly the single simulate result of its body', () => {
    const out = bookChunk({
      shared: JSON.stringify(shared),
      lines: lines.map((text, i) => ({ line: i + 2, text })),
      results: true,
    });
    expect(out.outcomes.every((o) => o.ok)).toBe(true);
    const statuses = new Set<string>();
    lines.forEach((text, i) => {
      const expected = single(simulateBodyOf(text, shared as never));
      expect(out.results![i], `line ${i + 2}`).toBe(expected);
      const o = out.outcomes[i]!;
      if (o.ok) {
        statuses.add(o.status);
        expect(o.request_hash).toBe(JSON.parse(expected).lineage.request_hash);
      }
    });
    expect(statuses.size).toBeGreaterThan(1); // the book is not trivially uniform
  });

  it('fails a line whose merged options are invalid, naming the field, and runs the rest', () => {
    const bad = JSON.stringify({ ...JSON.parse(lines[1]!), options: { max_turnover_pct: '1.5' } });
    const out = bookChunk({
      shared: JSON.stringify(shared),
      lines: [
        { line: 2, text: lines[0]! },
        { line: 3, text: bad },
        { line: 4, text: lines[2]! },
      ],
    });
    expect(out.outcomes.map((o) => o.ok)).toEqual([true, false, true]);
    const failed = out.outcomes[1]!;
    expect(!failed.ok && failed.error).toMatch(/^options\.max_turnover_pct: /);
    expect(!failed.ok && failed.portfolio_id).toBe('p1');
  });
});
