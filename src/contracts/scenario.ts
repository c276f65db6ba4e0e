/**
 * Saved scenarios (spec 50 §2): the request contracts of `/v1/scenarios` — a scenario
 * (create, patch), its assumption drivers and their payloads, run requests (one, bulk) and the
 * admin state change. Scenario-level objects and driver payloads are strict (an unknown key is
 * a 400, never a silent drop); `base` is a `/rebalance/simulate` body with that contract's own
 * rules (spec 10 §3).
 */
import { z } from 'zod';
import {
  type EngineOptions,
  engineOptionsFields,
  modelTargetsSchema,
  simulateRequestSchema,
} from './dpm-request.js';
import { boundedDecimal, decimal, integer, oneOf, record, string } from './primitives.js';

export const DRIVER_TYPES = [
  'market_shock',
  'fx_shock',
  'cash_flow',
  'model_override',
  'options',
  'policy',
  'projection',
] as const;
export type DriverType = (typeof DRIVER_TYPES)[number];

export const SCENARIO_STATUSES = ['active', 'archived'] as const;
export const RUN_STATES = ['QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED'] as const;
export const RUN_PRIORITIES = ['LOW', 'NORMAL', 'HIGH'] as const;
export type RunPriority = (typeof RUN_PRIORITIES)[number];

export const MAX_ASSUMPTIONS = 100;
export const MAX_BULK_RUNS = 100;
export const MAX_TAGS = 50;
export const MAX_PROJECTION_DAYS = 3660;

/** A string of 1..max characters that is not blank. */
export const text = (max: number, description: string, example: string) =>
  z
    .string({ error: 'Input should be a valid string' })
    .check((payload) => {
      const value = payload.value;
      if (value.trim() === '')
        payload.issues.push({
          code: 'custom',
          message: 'String should not be empty or blank',
          input: value,
          params: { type: 'string_too_short' },
        });
      else if (value.length > max)
        payload.issues.push({
          code: 'custom',
          message: `String should have at most ${max} characters`,
          input: value,
          params: { type: 'string_too_long', ctx: { max_length: max } },
        });
    })
    .meta({ minLength: 1, maxLength: max, description, examples: [example] });

const shockPct = () =>
  boundedDecimal({ gt: '-100' }).meta({
    description: 'Shock in percent: -10 multiplies by 0.90 (must be above -100).',
    examples: ['-10'],
  });
const shockBp = () =>
  boundedDecimal({ gt: '-10000' }).meta({
    description: 'Shock in basis points: 25 multiplies by 1.0025 (must be above -10000).',
    examples: ['25'],
  });

function exactlyOneShock(payload: {
  value: { shock_pct?: unknown; shock_bp?: unknown };
  issues: unknown[];
}): void {
  if (payload.value.shock_pct !== undefined && payload.value.shock_bp !== undefined)
    payload.issues.push({
      code: 'custom',
      message: 'Value error, give either shock_pct or shock_bp, not both',
      input: payload.value,
      path: ['shock_bp'],
      params: { type: 'value_error' },
    });
}

export const MARKET_SHOCK_SCOPES = ['all', 'asset_class', 'instrument', 'attribute'] as const;
const ATTRIBUTE_MATCH = /^[^:]+:[^:]+$/;

export const marketShockPayloadSchema = z
  .object({
    scope: oneOf(MARKET_SHOCK_SCOPES).meta({
      description: 'Which prices move: all, one asset class, one instrument, or a shelf attribute value.',
      examples: ['asset_class'],
    }),
    match: text(
      200,
      'The asset class, instrument id, or `key:value` attribute to match (not used with scope all).',
      'EQUITY',
    ).optional(),
    shock_pct: shockPct().optional(),
    shock_bp: shockBp().optional(),
  })
  .strict()
  .check((payload) => {
    exactlyOneShock(payload);
    const { scope, match } = payload.value;
    const issue = (message: string) =>
      payload.issues.push({
        code: 'custom',
        message: `Value error, ${message}`,
        input: match ?? null,
        path: ['match'],
        params: { type: 'value_error' },
      });
    if (scope === 'all' && match !== undefined) issue('match is not used with scope all');
    if (scope !== 'all' && match === undefined) issue(`match is required with scope ${scope}`);
    if (scope === 'attribute' && match !== undefined && !ATTRIBUTE_MATCH.test(match))
      issue("attribute match must use the format '<attribute_key>:<attribute_value>'");
  })
  .meta({
    description:
      'Multiply matching prices (and snapshot market values) by 1 + shock. Without a shock, `parameters.shock_bp` applies.',
  });

export const fxShockPayloadSchema = z
  .object({
    currency: text(16, 'Currency that moves against the base currency.', 'EUR'),
    shock_pct: shockPct().optional(),
    shock_bp: shockBp().optional(),
  })
  .strict()
  .check(exactlyOneShock)
  .meta({
    description:
      'The currency gains (or loses) the shock against every other currency: rates CCY/X are multiplied by 1 + shock, X/CCY divided by it.',
  });

export const cashFlowPayloadSchema = z
  .object({
    currency: text(16, 'Currency of the cash flow.', 'USD'),
    amount: decimal().meta({
      description: 'Signed amount added to the first balance in that currency (created when absent).',
      examples: ['5000.00'],
    }),
  })
  .strict()
  .meta({ description: 'Add (or withdraw) cash before the rebalance.' });

export const modelOverridePayloadSchema = z
  .object({ targets: modelTargetsSchema })
  .strict()
  .meta({ description: 'Replace the model portfolio with these targets.' });

/** Unwrap `.default(...)` so an override carries only the fields it names. */
function withoutDefault(schema: z.ZodType): z.ZodType {
  return schema instanceof z.ZodDefault ? (schema.unwrap() as z.ZodType) : schema;
}

/** EngineOptions fields to merge over others: only the named fields, each validated as in spec 10 §3.7. */
export const engineOptionsOverrideSchema = z
  .object(
    Object.fromEntries(
      Object.entries(engineOptionsFields).map(([name, field]) => [
        name,
        withoutDefault(field as z.ZodType).optional(),
      ]),
    ) as { [K in keyof typeof engineOptionsFields]: z.ZodOptional<z.ZodType> },
  )
  .strict()
  .meta({
    description:
      'EngineOptions fields (spec 10 §3.7) to merge over the options; unknown fields are rejected.',
    examples: [{ max_turnover_pct: '0.10' }],
  });
export type EngineOptionsOverride = Partial<EngineOptions>;

export const policyPayloadSchema = z
  .object({
    policy_pack_id: text(128, 'Policy pack to select for the run.', 'pack_conservative'),
  })
  .strict()
  .meta({ description: 'Select a policy pack for the run.' });

export const projectionPayloadSchema = z
  .object({
    horizon_days: integer({ ge: 1, le: MAX_PROJECTION_DAYS }).meta({
      description: `Days to project (1–${MAX_PROJECTION_DAYS}).`,
      examples: [30],
    }),
    daily_return: record(
      boundedDecimal({ gt: '-1' }).meta({
        description: 'Daily return as a fraction (0.0004 = 4 bp a day); above -1.',
        examples: ['0.0004'],
      }),
    )
      .check((payload) => {
        if (Object.keys(payload.value).some((key) => key.trim() === ''))
          payload.issues.push({
            code: 'custom',
            message: 'Value error, daily_return keys must be non-empty asset classes',
            input: payload.value,
            params: { type: 'value_error' },
          });
      })
      .meta({
        description: 'Daily return by asset class (CASH included); classes not listed do not move.',
        examples: [{ EQUITY: '0.0004', FIXED_INCOME: '0.0001' }],
      }),
  })
  .strict()
  .meta({ description: 'Project the after-state value day by day (`projected_total_value`).' });

const assumption = <T extends DriverType, P extends z.ZodType>(driverType: T, payload: P) =>
  z
    .object({
      driver_type: z.literal(driverType).meta({ description: 'The driver.', examples: [driverType] }),
      payload,
    })
    .strict();

const DRIVER_LIST = DRIVER_TYPES.map((t) => `'${t}'`).join(', ');

export const assumptionSchema = z
  .discriminatedUnion(
    'driver_type',
    [
      assumption('market_shock', marketShockPayloadSchema),
      assumption('fx_shock', fxShockPayloadSchema),
      assumption('cash_flow', cashFlowPayloadSchema),
      assumption('model_override', modelOverridePayloadSchema),
      assumption('options', engineOptionsOverrideSchema),
      assumption('policy', policyPayloadSchema),
      assumption('projection', projectionPayloadSchema),
    ],
    { error: (issue) => (issue.code === 'invalid_union' ? `Input should be ${DRIVER_LIST}` : undefined) },
  )
  .meta({
    description: 'One assumption: a driver and its payload, applied to `base` in list order.',
    examples: [{ driver_type: 'market_shock', payload: { scope: 'all', shock_pct: '-10' } }],
  });
export type Assumption = z.output<typeof assumptionSchema>;

const assumptions = () =>
  z
    .array(assumptionSchema)
    .max(MAX_ASSUMPTIONS, { error: `List should have at most ${MAX_ASSUMPTIONS} items` })
    .meta({ description: `Assumptions applied in order (at most ${MAX_ASSUMPTIONS}).` });

const parameters = () =>
  record(z.unknown())
    .check((payload) => {
      const shock = payload.value.shock_bp;
      if (shock === undefined) return;
      const parsed = shockBp().safeParse(shock);
      if (!parsed.success)
        payload.issues.push({
          code: 'custom',
          message: parsed.error.issues[0]?.message ?? 'Input should be a valid decimal',
          input: shock,
          path: ['shock_bp'],
          params: { type: 'decimal_parsing' },
        });
    })
    .meta({
      description:
        'Free JSON object. `shock_bp` (a decimal above -10000), when present, is the shock of market_shock drivers that give none.',
      examples: [{ shock_bp: 25 }],
    });

const tags = () =>
  z
    .array(text(64, 'A tag.', 'sensitivity'))
    .max(MAX_TAGS, { error: `List should have at most ${MAX_TAGS} items` })
    .check((payload) => {
      const seen = new Set<string>();
      payload.value.forEach((tag, index) => {
        if (seen.has(tag))
          payload.issues.push({
            code: 'custom',
            message: `Value error, duplicate tag '${tag}'`,
            input: tag,
            path: [index],
            params: { type: 'value_error' },
          });
        seen.add(tag);
      });
    })
    .meta({ description: `Tags (at most ${MAX_TAGS}, unique).`, examples: [['demo', 'sensitivity']] });

const name = () => text(200, 'Unique per tenant.', 'RPS sensitivity');
const description = () =>
  string()
    .check((payload) => {
      if (payload.value.length > 2000)
        payload.issues.push({
          code: 'custom',
          message: 'String should have at most 2000 characters',
          input: payload.value,
          params: { type: 'string_too_long', ctx: { max_length: 2000 } },
        });
    })
    .nullable()
    .meta({
      type: 'string',
      description: 'Free text (at most 2000 characters).',
      examples: ['Equity -10 %'],
    });
const status = () =>
  oneOf(SCENARIO_STATUSES).meta({
    description: 'active scenarios can run; archived ones are kept but cannot.',
    examples: ['active'],
  });

export const scenarioCreateSchema = z
  .object({
    tenant_id: text(128, 'Optional; must be the caller’s tenant when given.', 'demo-tenant').optional(),
    name: name(),
    description: description().optional(),
    status: status().optional(),
    tags: tags().optional(),
    base: simulateRequestSchema.meta({
      description:
        'A /rebalance/simulate request body: the portfolio, market data, model, shelf and options.',
    }),
    assumptions: assumptions().optional(),
    parameters: parameters().optional(),
  })
  .strict()
  .meta({ id: 'ScenarioCreateRequest', description: 'A new scenario.' });
export type ScenarioCreate = z.output<typeof scenarioCreateSchema>;

export const scenarioPatchSchema = z
  .object({
    name: name().optional(),
    description: description().optional(),
    status: status().optional(),
    tags: tags().optional(),
    base: simulateRequestSchema
      .meta({ description: 'Replaces the base (adds a version when it differs).' })
      .optional(),
    assumptions: assumptions().optional(),
    parameters: parameters().optional(),
  })
  .strict()
  .meta({
    id: 'ScenarioPatchRequest',
    description:
      'Fields to change; a change to base, assumptions or parameters adds a version, the others do not.',
  });
export type ScenarioPatch = z.output<typeof scenarioPatchSchema>;

export const runRequestSchema = z
  .object({
    code_version: text(128, 'Free text recorded on the run.', 'v1').nullable().optional(),
    priority: oneOf(RUN_PRIORITIES)
      .meta({ description: 'HIGH runs before NORMAL before LOW.', examples: ['NORMAL'] })
      .optional(),
    options: engineOptionsOverrideSchema.optional(),
  })
  .strict()
  .meta({ id: 'ScenarioRunRequest', description: 'Run the current version of a scenario.' });
export type RunRequest = z.output<typeof runRequestSchema>;

export const bulkRunRequestSchema = z
  .object({
    runs: z
      .array(runRequestSchema)
      .min(1, { error: 'List should have at least 1 item' })
      .max(MAX_BULK_RUNS, { error: `List should have at most ${MAX_BULK_RUNS} items` })
      .meta({ description: `1 to ${MAX_BULK_RUNS} run requests, stored in one transaction.` }),
  })
  .strict()
  .meta({ id: 'ScenarioBulkRunRequest', description: 'Several runs of one scenario at once.' });

export const runStateChangeSchema = z
  .object({
    state: oneOf(['RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED'] as const).meta({
      description: 'Target state; QUEUED → RUNNING | CANCELLED, RUNNING → SUCCEEDED | FAILED | CANCELLED.',
      examples: ['FAILED'],
    }),
    error: z
      .object({
        code: text(64, 'Machine-readable code.', 'UPSTREAM_DATA_MISSING'),
        message: text(1000, 'Human-readable text.', 'Prices were not delivered.'),
      })
      .strict()
      .nullable()
      .optional()
      .meta({ description: 'Why the run FAILED (only with state FAILED).' }),
  })
  .strict()
  .check((payload) => {
    if (payload.value.error && payload.value.state !== 'FAILED')
      payload.issues.push({
        code: 'custom',
        message: 'Value error, error is only allowed with state FAILED',
        input: payload.value.error,
        path: ['error'],
        params: { type: 'value_error' },
      });
  })
  .meta({ id: 'ScenarioRunStateChange', description: 'Move a run to another state (admin).' });
