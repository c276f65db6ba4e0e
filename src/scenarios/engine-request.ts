/**
 * From a scenario to the engine request of a run (spec 50 §2): the assumptions are applied to
 * `base` in list order, then the run's own option overrides are merged last. Pure: the same
 * scenario and run options always give the same request. Problems that only show in context (a
 * shock with no size, a shock that matches nothing, two projection drivers) are reported as
 * field errors naming the assumption index, so the API can refuse the scenario with a 400.
 */
import type { SimulateRequest } from '../contracts/dpm-request.js';
import type { Dec } from '../contracts/decimal.js';
import { type FieldError, toDecimal } from '../contracts/primitives.js';
import type { Assumption, EngineOptionsOverride } from '../contracts/scenario.js';
import { applyCashFlow } from './cash-flow.js';
import { applyFxShock, applyMarketShock, shockFactor } from './shocks.js';

export interface Projection {
  horizon_days: number;
  daily_return: Record<string, Dec>;
}

export interface ScenarioContent {
  base: SimulateRequest;
  assumptions: readonly Assumption[];
  /** Free JSON; `shock_bp` is the default shock of market_shock drivers. */
  parameters: Record<string, unknown>;
}

export interface EnginePlan {
  request: SimulateRequest;
  /** The policy pack a `policy` driver selected, if any. */
  policyPackId: string | null;
  /** The `projection` driver's payload, if any. */
  projection: Projection | null;
}

/** Merge only the fields an override names. */
export function mergeOptions(
  options: SimulateRequest['options'],
  override: EngineOptionsOverride,
): SimulateRequest['options'] {
  const merged = { ...options } as Record<string, unknown>;
  for (const [name, value] of Object.entries(override)) if (value !== undefined) merged[name] = value;
  return merged as SimulateRequest['options'];
}

/** The engine request for a run, with every contextual problem as a field error (loc from the body root). */
export function planEngineRequest(
  content: ScenarioContent,
  runOptions: EngineOptionsOverride = {},
): { plan: EnginePlan; issues: FieldError[] } {
  const issues: FieldError[] = [];
  const defaultBp = content.parameters.shock_bp === undefined ? null : toDecimal(content.parameters.shock_bp);
  let request = content.base;
  let policyPackId: string | null = null;
  let projection: Projection | null = null;
  const seen = new Set<string>();

  content.assumptions.forEach((assumption, index) => {
    const at = (...path: (string | number)[]) => ['body', 'assumptions', index, ...path];
    const issue = (loc: (string | number)[], type: string, msg: string, input: unknown) =>
      issues.push({ type, loc, msg, input });
    const once = () => {
      if (seen.has(assumption.driver_type))
        issue(
          at('driver_type'),
          'value_error',
          `Value error, at most one ${assumption.driver_type} driver per scenario`,
          assumption.driver_type,
        );
      seen.add(assumption.driver_type);
    };
    switch (assumption.driver_type) {
      case 'market_shock': {
        const { payload } = assumption;
        const factor =
          shockFactor(payload) ?? (defaultBp === null ? null : shockFactor({ shock_bp: defaultBp }));
        if (factor === null) {
          issue(
            at('payload', 'shock_pct'),
            'missing',
            'Field required: shock_pct or shock_bp (or a default parameters.shock_bp)',
            null,
          );
          return;
        }
        const shocked = applyMarketShock(request, payload, factor);
        if (shocked.matched === 0)
          issue(
            at('payload', payload.scope === 'all' ? 'scope' : 'match'),
            'value_error',
            'Value error, the shock matches no price in base.market_data_snapshot.prices',
            payload.match ?? payload.scope,
          );
        request = shocked.request;
        return;
      }
      case 'fx_shock': {
        const { payload } = assumption;
        const factor = shockFactor(payload);
        if (factor === null) {
          issue(at('payload', 'shock_pct'), 'missing', 'Field required: shock_pct or shock_bp', null);
          return;
        }
        if (payload.currency === request.portfolio_snapshot.base_currency) {
          issue(
            at('payload', 'currency'),
            'value_error',
            'Value error, the base currency cannot move against itself',
            payload.currency,
          );
          return;
        }
        const shocked = applyFxShock(request, payload.currency, factor);
        if (shocked.matched === 0)
          issue(
            at('payload', 'currency'),
            'value_error',
            'Value error, no rate in base.market_data_snapshot.fx_rates involves this currency',
            payload.currency,
          );
        request = shocked.request;
        return;
      }
      case 'cash_flow':
        request = applyCashFlow(request, assumption.payload.currency, assumption.payload.amount);
        return;
      case 'model_override':
        request = { ...request, model_portfolio: { targets: assumption.payload.targets } };
        return;
      case 'options':
        request = {
          ...request,
          options: mergeOptions(request.options, assumption.payload as EngineOptionsOverride),
        };
        return;
      case 'policy':
        once();
        policyPackId = assumption.payload.policy_pack_id;
        return;
      case 'projection':
        once();
        projection = assumption.payload;
        return;
    }
  });
  request = { ...request, options: mergeOptions(request.options, runOptions) };
  return { plan: { request, policyPackId, projection }, issues };
}

/** The engine request of a stored (already validated) scenario; a problem here is a bug. */
export function buildEngineRequest(
  content: ScenarioContent,
  runOptions: EngineOptionsOverride = {},
): EnginePlan {
  const { plan, issues } = planEngineRequest(content, runOptions);
  if (issues.length > 0) throw new Error(`stored scenario no longer applies: ${issues[0]!.msg}`);
  return plan;
}
