/**
 * Invariants over generated portfolios (bench/generate.ts): determinism, conservation of value
 * and cash, weights summing to one, shelf statuses and frozen holdings respected.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { generateRequest } from '../../src/tools/generate-request.js';
import { simulateRequestSchema } from '../../src/contracts/dpm-request.js';
import { validate } from '../../src/contracts/parse.js';
import { abs, add, dec, type Dec, lte, mul, sub, sum, ZERO } from '../../src/contracts/decimal.js';
import { simulateRebalance } from '../../src/engine/pipeline.js';
import { loadSolver } from '../../src/engine/targets/solver.js';
import type { RebalanceResult, SecurityTradeIntent } from '../../src/engine/types.js';
import { resultToWire } from '../../src/engine/wire.js';

const EPSILON = dec('1e-9');
const close = (a: Dec, b: Dec) => lte(abs(sub(a, b)), EPSILON);

const arbitraryRequest = fc.record({
  positions: fc.integer({ min: 1, max: 60 }),
  seed: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
  constraints: fc.boolean(),
  mixedShelf: fc.boolean(),
  controls: fc.boolean(),
  solver: fc.boolean(),
});

type Spec = {
  positions: number;
  seed: number;
  constraints: boolean;
  mixedShelf: boolean;
  controls: boolean;
  solver: boolean;
};

function run(spec: Spec) {
  const body = generateRequest(spec);
  if (spec.solver) (body.options as Record<string, unknown>).target_method = 'SOLVER';
  const parsed = validate(simulateRequestSchema, body);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  return { request: parsed.value, result: simulateRebalance(parsed.value, { requestHash: 'h' }) };
}

const earlyBlocked = (r: RebalanceResult) => r.explanation.summary === 'Blocked';

describe('engine invariants over generated portfolios', () => {
  beforeAll(async () => {
    await loadSolver();
  });

  it('is deterministic: the same request gives byte-identical output', () => {
    fc.assert(
      fc.property(arbitraryRequest, (spec) => {
        const a = JSON.stringify(resultToWire(run(spec).result));
        const b = JSON.stringify(resultToWire(run(spec).result));
        expect(a).toBe(b);
      }),
      { numRuns: 25 },
    );
  });

  it('creates or loses no value and no cash: every currency moves exactly by its trades', () => {
    fc.assert(
      fc.property(arbitraryRequest, (spec) => {
        const { request, result } = run(spec);
        if (earlyBlocked(result) || result.rule_results.some((r) => r.rule_id === 'SETTLEMENT_CASH_LADDER'))
          return;
        expect(close(result.after_simulated.total_value.amount, result.before.total_value.amount)).toBe(true);
        const expected = new Map<string, Dec>();
        for (const c of request.portfolio_snapshot.cash_balances)
          if (!expected.has(c.currency)) expected.set(c.currency, c.amount);
        const move = (ccy: string, delta: Dec) => expected.set(ccy, add(expected.get(ccy) ?? ZERO, delta));
        const buffer = request.options.fx_buffer_pct;
        for (const i of result.intents) {
          if (i.intent_type === 'FX_SPOT') {
            move(i.sell_currency, sub(ZERO, i.sell_amount_estimated));
            move(i.buy_currency, i.buy_amount);
            if (i.rationale?.code === 'FUNDING') {
              // The base leg converts exactly the shortfall plus the stated buffer, no more.
              const shortfall = sum(
                result.intents
                  .filter(
                    (s) => s.intent_type === 'SECURITY_TRADE' && s.notional!.currency === i.buy_currency,
                  )
                  .map((s) => {
                    const trade = s as SecurityTradeIntent;
                    return trade.side === 'BUY' ? trade.notional!.amount : sub(ZERO, trade.notional!.amount);
                  }),
              );
              const held =
                request.portfolio_snapshot.cash_balances.find((c) => c.currency === i.buy_currency)?.amount ??
                ZERO;
              expect(close(i.buy_amount, mul(sub(shortfall, held), add(dec('1'), buffer)))).toBe(true);
            }
          } else {
            const { amount, currency } = i.notional!;
            move(currency, i.side === 'BUY' ? sub(ZERO, amount) : amount);
          }
        }
        for (const c of result.after_simulated.cash_balances)
          expect(close(c.amount, expected.get(c.currency)!)).toBe(true);
      }),
      { numRuns: 40 },
    );
  });

  it('after-state weights sum to 1', () => {
    fc.assert(
      fc.property(arbitraryRequest, (spec) => {
        const { result } = run(spec);
        const state = result.after_simulated;
        expect(close(sum(state.allocation_by_asset_class.map((m) => m.weight)), dec('1'))).toBe(true);
        const cash = state.allocation_by_asset_class.find((m) => m.key === 'CASH')!;
        expect(
          close(add(sum(state.allocation_by_instrument.map((m) => m.weight)), cash.weight), dec('1')),
        ).toBe(true);
      }),
      { numRuns: 40 },
    );
  });

  it('never buys a SELL_ONLY, BANNED, SUSPENDED or (unallowed) RESTRICTED instrument, never trades a locked holding, never sells more than held', () => {
    fc.assert(
      fc.property(arbitraryRequest, (spec) => {
        const { request, result } = run(spec);
        const status = new Map(request.shelf_entries.map((s) => [s.instrument_id, s.status] as const));
        const locked = new Set(
          result.universe.excluded
            .filter((x) => x.reason_code.startsWith('LOCKED_DUE_TO_'))
            .map((x) => x.instrument_id),
        );
        for (const i of result.intents) {
          if (i.intent_type !== 'SECURITY_TRADE') continue;
          expect(locked.has(i.instrument_id)).toBe(false);
          if (i.side === 'BUY')
            expect(['SELL_ONLY', 'BANNED', 'SUSPENDED', 'RESTRICTED']).not.toContain(
              status.get(i.instrument_id),
            );
        }
        for (const p of result.after_simulated.positions)
          expect(p.quantity.signum()).toBeGreaterThanOrEqual(0);
      }),
      { numRuns: 60 },
    );
  });
});
