/**
 * DPM policy packs (spec 40 §14): a named, versioned bundle of EngineOptions overrides grouped in
 * dimensions, plus the replay switch. Every override field is validated with the very schema of
 * the EngineOptions field it overrides (closing QUIRK Q-B1: a pack cannot carry a value a request
 * could not), and unknown keys are rejected rather than ignored (docs/decisions/0030).
 *
 * Adding an overridable option is one line in POLICY_DIMENSIONS: the pack schema, the wire form,
 * the OpenAPI document and the application to EngineOptions (src/policy/apply.ts) follow from it.
 */
import { z } from 'zod';
import { canonicalHash } from './canonical.js';
import type { Dec } from './decimal.js';
import { type EngineOptions, engineOptionsFields } from './dpm-request.js';
import { boolean, decimalBounds, nullable } from './primitives.js';

type OptionField = keyof EngineOptions & keyof typeof engineOptionsFields;

/** Which EngineOptions each dimension overrides (the pack field has the option's name). */
export const POLICY_DIMENSIONS = {
  turnover_policy: ['max_turnover_pct'],
  tax_policy: ['enable_tax_awareness', 'max_realized_capital_gains'],
  settlement_policy: ['enable_settlement_awareness', 'settlement_horizon_days'],
  constraint_policy: ['single_position_max_weight', 'group_constraints'],
  workflow_policy: [
    'enable_workflow_gates',
    'workflow_requires_client_consent',
    'client_consent_already_obtained',
  ],
  drift_band_policy: ['drift_band_abs', 'drift_band_rel', 'drift_band_rebalance_to'],
} as const satisfies Record<string, readonly OptionField[]>;

/**
 * Dimensions added after packs were first stored: absent unless given (not filled with nulls),
 * so the normalised definition — and its `definition_hash` — of an existing pack is unchanged
 * (docs/decisions/0051).
 */
const OPTIONAL_DIMENSIONS: ReadonlySet<PolicyDimension> = new Set(['drift_band_policy']);

export type PolicyDimension = keyof typeof POLICY_DIMENSIONS;
export const DIMENSION_NAMES = Object.keys(POLICY_DIMENSIONS) as PolicyDimension[];

/**
 * Rules the reference's pack model adds on top of the option's own (spec 40 §14): a pack's
 * single-position cap is a weight, 0–1.
 */
const PACK_ONLY_RULES: Partial<Record<OptionField, (schema: z.ZodType) => z.ZodType>> = {
  single_position_max_weight: (schema) =>
    (schema as z.ZodType<Dec>).check(decimalBounds({ ge: '0', le: '1' })),
};

/** The option's own rule, without its default and nullability. */
function optionRule(field: OptionField): z.ZodType {
  let schema: z.ZodType = engineOptionsFields[field];
  while (schema instanceof z.ZodDefault || schema instanceof z.ZodNullable || schema instanceof z.ZodOptional)
    schema = schema.unwrap() as z.ZodType;
  return PACK_ONLY_RULES[field]?.(schema) ?? schema;
}

/** A map-valued option (group constraints): an empty map means "no override". */
const isMapRule = (rule: z.ZodType) => rule instanceof z.ZodRecord;

/** A pack field: null (scalars) or `{}` (maps) means "no override". */
function overrideField(field: OptionField): z.ZodType {
  const rule = optionRule(field);
  return isMapRule(rule)
    ? rule
        .nullable()
        .transform((v) => v ?? {})
        .default(() => ({}))
    : nullable(rule);
}

/** A dimension object; missing or null means all fields null. Unknown keys are an error. */
function dimensionSchema(
  fields: readonly OptionField[],
  description: string,
  optional = false,
): RequiredDimensionSchema | OptionalDimensionSchema {
  const shape = Object.fromEntries(fields.map((f) => [f, overrideField(f)]));
  const strict = z.strictObject(shape);
  if (optional) return strict.optional().meta({ description });
  return requiredDimension(strict, description);
}

type RequiredDimensionSchema = ReturnType<typeof requiredDimension>;
/** An OPTIONAL_DIMENSIONS member: absent stays absent. */
type OptionalDimensionSchema = z.ZodOptional<z.ZodObject>;

function requiredDimension(strict: z.ZodObject, description: string) {
  return strict
    .nullable()
    .transform((v) => v ?? strict.parse({}))
    .default(() => strict.parse({}) as never)
    .meta({ description });
}

const replayPolicySchema = z.strictObject({
  replay_enabled: nullable(boolean()).meta({
    description:
      'Overrides DPM_IDEMPOTENCY_REPLAY_ENABLED for POST /rebalance/simulate; null keeps the environment value.',
    examples: [false],
  }),
});

const DIMENSION_DOCS: Record<PolicyDimension, string> = {
  turnover_policy: 'Turnover overrides: `max_turnover_pct` (0–1).',
  tax_policy: 'Tax overrides: `enable_tax_awareness`, `max_realized_capital_gains` (≥ 0).',
  settlement_policy: 'Settlement overrides: `enable_settlement_awareness`, `settlement_horizon_days` (0–10).',
  constraint_policy:
    'Constraint overrides: `single_position_max_weight` (0–1) and `group_constraints` (an empty map overrides nothing; a non-empty one replaces the request’s map).',
  workflow_policy:
    'Workflow-gate overrides: `enable_workflow_gates`, `workflow_requires_client_consent`, `client_consent_already_obtained`.',
  drift_band_policy:
    'Tolerance-band overrides: `drift_band_abs` (0–1), `drift_band_rel` (0–1), `drift_band_rebalance_to` (TARGET or BAND_EDGE). Optional: a pack without it is stored and hashed as before.',
};

const dimensions = {
  ...(Object.fromEntries(
    DIMENSION_NAMES.map((d) => [
      d,
      dimensionSchema(POLICY_DIMENSIONS[d], DIMENSION_DOCS[d], OPTIONAL_DIMENSIONS.has(d)),
    ]),
  ) as {
    [D in PolicyDimension]: D extends 'drift_band_policy' ? OptionalDimensionSchema : RequiredDimensionSchema;
  }),
  idempotency_policy: replayPolicySchema
    .nullable()
    .transform((v) => v ?? { replay_enabled: null })
    .default(() => ({ replay_enabled: null }) as never)
    .meta({ description: 'Request-semantics overrides: `replay_enabled`.' }),
};

export const MAX_VERSION_LENGTH = 128;

const versionSchema = z
  .string()
  .check((payload) => {
    if (
      payload.value.trim() === '' ||
      payload.value.length > MAX_VERSION_LENGTH ||
      payload.value.includes('\u0000')
    )
      payload.issues.push({
        code: 'custom',
        message: `Value error, version must be 1–${MAX_VERSION_LENGTH} characters, not blank, without NUL`,
        input: payload.value,
        params: { type: 'value_error' },
      });
  })
  .meta({
    description:
      'Version label (free text). Within a tenant a pack’s version label names one definition: re-using it for other content is 409.',
    examples: ['2026.02'],
  });

const packIdSchema = z.string().meta({ description: 'Policy pack id.', examples: ['dpm_standard_v1'] });

/** `DpmPolicyPackDefinition` (spec 40 §14). */
export const policyPackDefinitionSchema = z
  .strictObject({ policy_pack_id: packIdSchema, version: versionSchema, ...dimensions })
  .meta({
    id: 'DpmPolicyPackDefinition',
    description: 'A policy pack: engine-option overrides by dimension, plus the replay switch.',
  });

/** `DpmPolicyPackUpsertRequest` (spec 40 §18.4): the id comes from the path. */
export const policyPackUpsertSchema = z
  .strictObject({
    version: versionSchema,
    policy_pack_id: packIdSchema.optional().meta({
      description: 'Optional; when given it must equal the path id.',
      examples: ['dpm_standard_v1'],
    }),
    ...dimensions,
  })
  .meta({
    id: 'DpmPolicyPackUpsertRequest',
    description: 'The whole new definition of the pack (no merge with the stored one).',
  });

export type PolicyPackDefinition = z.output<typeof policyPackDefinitionSchema>;
export type PolicyPackUpsert = z.output<typeof policyPackUpsertSchema>;

export const SELECTION_SOURCES = ['DISABLED', 'REQUEST', 'TENANT_DEFAULT', 'GLOBAL_DEFAULT', 'NONE'] as const;
export type SelectionSource = (typeof SELECTION_SOURCES)[number];
export const CATALOG_SOURCES = ['STORED', 'ENV_JSON'] as const;
export type CatalogSource = (typeof CATALOG_SOURCES)[number];

/**
 * The pack a run was computed under, as recorded in its lineage (closing GAP G-B2). `applied`
 * is false when the selected id is not in the catalog (GAP G-B1: the run used its own options).
 */
export interface AppliedPolicyPack {
  policy_pack_id: string;
  version: string | null;
  source: Exclude<SelectionSource, 'DISABLED' | 'NONE'>;
  catalog_source: CatalogSource | null;
  definition_hash: string | null;
  applied: boolean;
}

/** Plain JSON of a definition: every dimension with all its fields, decimals as their text. */
export function policyPackToJson(pack: PolicyPackDefinition): Record<string, unknown> {
  return JSON.parse(JSON.stringify(pack)) as Record<string, unknown>;
}

/** `sha256:` of the canonical JSON of the definition: what exactly a run was computed under. */
export const policyPackHash = (pack: PolicyPackDefinition) => canonicalHash(pack);
