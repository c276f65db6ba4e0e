/**
 * Field-level building blocks for every request contract, with the reference's lax input
 * rules (spec 10 §3.1): decimals as JSON numbers or strings, integers from integral floats,
 * numeric strings or booleans, booleans from a small vocabulary, strings only from strings.
 *
 * Request bodies are parsed with lossless-json, so a JSON number arrives as its raw token
 * (`LosslessNumber`) and a decimal keeps the digits as written.
 */
import { isLosslessNumber } from 'lossless-json';
import { z } from 'zod';
import {
  cmp,
  type Dec,
  decimalFromFloat,
  decimalFromJsonNumber,
  isDec,
  parseDecimalText,
  precision,
  scale,
} from './decimal.js';

/** Pydantic-style error `type` carried on custom issues, read by `toFieldErrors`. */
interface IssueType {
  type: string;
  ctx?: Record<string, unknown>;
}

type Ctx = z.core.$RefinementCtx<unknown>;

function fail(
  ctx: Ctx,
  input: unknown,
  type: string,
  message: string,
  extra?: Record<string, unknown>,
): never {
  ctx.issues.push({ code: 'custom', message, input, params: { type, ctx: extra } satisfies IssueType });
  return z.NEVER;
}

function missing(ctx: Ctx): never {
  return fail(ctx, undefined, 'missing', 'Field required');
}

/** Convert anything the reference accepts as a decimal; null when it is not one. */
export function toDecimal(value: unknown): Dec | null {
  if (isLosslessNumber(value)) return decimalFromJsonNumber(value.value);
  if (typeof value === 'string') return parseDecimalText(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return null;
    return Number.isInteger(value) ? parseDecimalText(value.toFixed(0)) : decimalFromFloat(value);
  }
  if (typeof value === 'bigint') return parseDecimalText(value.toString());
  return null;
}

export const MAX_DECIMAL_DIGITS = 50;
export const MAX_DECIMAL_EXPONENT = 50;
/**
 * No decimal within the digit and exponent bounds is written with more characters than this
 * (sign, 50 digits, point, 50 leading zeros, exponent), so longer text is refused before it is
 * parsed: parsing a 10 MB number token costs seconds.
 */
export const MAX_DECIMAL_TEXT_LENGTH = 128;

const DECIMAL_DOC = {
  description: 'Decimal number, as a JSON string (exact, recommended) or a JSON number.',
  examples: ['1000.00'],
};

export const decimal = () =>
  z
    .unknown()
    .transform((value, ctx): Dec => {
      if (value === undefined) return missing(ctx);
      const isScalar =
        typeof value === 'string' ||
        typeof value === 'number' ||
        isLosslessNumber(value) ||
        typeof value === 'bigint';
      if (!isScalar)
        return fail(
          ctx,
          value,
          'decimal_type',
          'Decimal input should be an integer, float, string or Decimal object',
        );
      const outOfRange = () =>
        fail(
          ctx,
          value,
          'decimal_out_of_range',
          `Decimal should have at most ${MAX_DECIMAL_DIGITS} significant digits and an exponent between -${MAX_DECIMAL_EXPONENT} and ${MAX_DECIMAL_EXPONENT}`,
        );
      const textLength = isLosslessNumber(value)
        ? value.value.length
        : typeof value === 'string'
          ? value.trim().length
          : 0;
      if (textLength > MAX_DECIMAL_TEXT_LENGTH) return outOfRange();
      const parsed = toDecimal(value);
      if (!parsed) return fail(ctx, value, 'decimal_parsing', 'Input should be a valid decimal');
      // Bounded so that aligning exponents stays cheap: `1e1000000` would otherwise make the
      // engine build million-digit integers (a denial of service, docs/decisions/0001).
      if (precision(parsed) > MAX_DECIMAL_DIGITS || Math.abs(scale(parsed)) > MAX_DECIMAL_EXPONENT)
        return outOfRange();
      return parsed;
    })
    .meta(DECIMAL_DOC);

/** Inclusive (or strict lower) bounds on a decimal, reported with the framework's generic wording. */
export const decimalBounds =
  (bounds: { ge?: string; le?: string; gt?: string }) => (payload: z.core.ParsePayload<Dec>) => {
    const value = payload.value;
    const out = (type: string, message: string, limit: string) =>
      payload.issues.push({
        code: 'custom',
        message,
        input: payload.value,
        params: { type, ctx: { limit } } satisfies IssueType,
      });
    if (bounds.gt !== undefined && cmp(value, parseDecimalText(bounds.gt)!) <= 0)
      out('greater_than', `Input should be greater than ${bounds.gt}`, bounds.gt);
    if (bounds.ge !== undefined && cmp(value, parseDecimalText(bounds.ge)!) < 0)
      out('greater_than_equal', `Input should be greater than or equal to ${bounds.ge}`, bounds.ge);
    if (bounds.le !== undefined && cmp(value, parseDecimalText(bounds.le)!) > 0)
      out('less_than_equal', `Input should be less than or equal to ${bounds.le}`, bounds.le);
  };

/** Decimal with inclusive bounds. */
export const boundedDecimal = (bounds: { ge?: string; le?: string; gt?: string }) =>
  decimal().check(decimalBounds(bounds));

/** Decimal with a domain rule whose message the spec fixes ("Value error, ..."). */
export const decimalWithRule = (isValid: (d: Dec) => boolean, message: string) =>
  decimal().check((payload) => {
    if (!isValid(payload.value))
      payload.issues.push({
        code: 'custom',
        message: `Value error, ${message}`,
        input: payload.value,
        params: { type: 'value_error' } satisfies IssueType,
      });
  });

/**
 * One length limit for every identifier a client chooses (portfolio ids, idempotency keys,
 * correlation ids, run and operation ids in paths and queries): the same on write and on read,
 * and below every index's row limit (GAP G-S11, docs/decisions/0010).
 */
export const MAX_ID_LENGTH = 256;

/**
 * A JSON object. JSON numbers arrive as lossless-json `LosslessNumber` objects, which a plain
 * `z.object` would accept as an empty object and fill with defaults (`"options": 1` ran with
 * default options); a number token is turned back into a number first, so it fails as
 * `dict_type`. Use this instead of `z.object` for request contracts.
 */
export const object = <Shape extends z.core.$ZodLooseShape>(shape: Shape) =>
  z.preprocess((value) => (isLosslessNumber(value) ? Number(value.value) : value), z.object(shape));

/** An identifier: a string of 1 to MAX_ID_LENGTH characters. */
export const idString = () =>
  string().check((payload) => {
    const length = payload.value.length;
    if (length === 0)
      payload.issues.push({
        code: 'custom',
        message: 'String should have at least 1 character',
        input: payload.value,
        params: { type: 'string_too_short', ctx: { min_length: 1 } } satisfies IssueType,
      });
    else if (length > MAX_ID_LENGTH)
      payload.issues.push({
        code: 'custom',
        message: `String should have at most ${MAX_ID_LENGTH} characters`,
        input: payload.value.slice(0, 64) + '…',
        params: { type: 'string_too_long', ctx: { max_length: MAX_ID_LENGTH } } satisfies IssueType,
      });
  });

export const string = () =>
  z
    .unknown()
    .transform((value, ctx): string => {
      if (value === undefined) return missing(ctx);
      return typeof value === 'string'
        ? value
        : fail(ctx, value, 'string_type', 'Input should be a valid string');
    })
    .meta({ type: 'string' });

const TRUE_WORDS = new Set(['true', 'yes', 'on', 't', 'y', '1']);
const FALSE_WORDS = new Set(['false', 'no', 'off', 'f', 'n', '0']);

export const boolean = () =>
  z
    .unknown()
    .transform((value, ctx): boolean => {
      if (value === undefined) return missing(ctx);
      if (typeof value === 'boolean') return value;
      const token = isLosslessNumber(value)
        ? value.value
        : typeof value === 'number'
          ? String(value)
          : undefined;
      if (token !== undefined) {
        if (/^[01](\.0*)?$/.test(token)) return token.startsWith('1');
        return fail(ctx, value, 'bool_parsing', 'Input should be a valid boolean, unable to interpret input');
      }
      if (typeof value === 'string') {
        const word = value.trim().toLowerCase();
        if (TRUE_WORDS.has(word)) return true;
        if (FALSE_WORDS.has(word)) return false;
        return fail(ctx, value, 'bool_parsing', 'Input should be a valid boolean, unable to interpret input');
      }
      return fail(ctx, value, 'bool_type', 'Input should be a valid boolean');
    })
    .meta({ type: 'boolean' });

export const integer = (bounds: { ge?: number; le?: number } = {}) =>
  z
    .unknown()
    .transform((value, ctx): number => {
      if (value === undefined) return missing(ctx);
      let result: number;
      if (typeof value === 'boolean') result = value ? 1 : 0;
      else if (typeof value === 'string') {
        const trimmed = value.trim().replace(/_/g, '');
        if (!/^[+-]?\d+$/.test(trimmed))
          return fail(
            ctx,
            value,
            'int_parsing',
            'Input should be a valid integer, unable to parse string as an integer',
          );
        result = Number(trimmed);
      } else if (isLosslessNumber(value) || typeof value === 'number') {
        const n = Number(isLosslessNumber(value) ? value.value : value);
        if (!Number.isFinite(n)) return fail(ctx, value, 'finite_number', 'Input should be a finite number');
        if (!Number.isInteger(n))
          return fail(
            ctx,
            value,
            'int_from_float',
            'Input should be a valid integer, got a number with a fractional part',
          );
        result = n;
      } else return fail(ctx, value, 'int_type', 'Input should be a valid integer');
      if (bounds.ge !== undefined && result < bounds.ge)
        return fail(
          ctx,
          value,
          'greater_than_equal',
          `Input should be greater than or equal to ${bounds.ge}`,
          {
            ge: bounds.ge,
          },
        );
      if (bounds.le !== undefined && result > bounds.le)
        return fail(ctx, value, 'less_than_equal', `Input should be less than or equal to ${bounds.le}`, {
          le: bounds.le,
        });
      return result;
    })
    .meta({
      type: 'integer',
      ...(bounds.ge !== undefined && { minimum: bounds.ge }),
      ...(bounds.le !== undefined && { maximum: bounds.le }),
    });

/** Case-sensitive enum / literal. */
export const oneOf = <const T extends readonly string[]>(values: T) => {
  const expected =
    values.length === 1
      ? `'${values[0]}'`
      : `${values
          .slice(0, -1)
          .map((v) => `'${v}'`)
          .join(', ')} or '${values[values.length - 1]}'`;
  return z
    .unknown()
    .transform((value, ctx): T[number] => {
      if (value === undefined) return missing(ctx);
      if (typeof value === 'string' && (values as readonly string[]).includes(value))
        return value as T[number];
      return fail(ctx, value, values.length === 1 ? 'literal_error' : 'enum', `Input should be ${expected}`, {
        expected,
      });
    })
    .meta({ type: 'string', enum: [...values] });
};

/** `schema` that may be absent or null, defaulting to null. */
export const nullable = <S extends z.ZodType>(schema: S) => schema.nullable().default(null);

export const list = <S extends z.ZodType>(item: S) => z.array(item);

/** A JSON object used as a map; keys are whatever the caller sent. */
export const record = <S extends z.ZodType>(value: S) => z.record(z.string(), value);

export const money = () =>
  object({
    amount: decimal(),
    currency: string(),
  });
export type MoneyInput = z.output<ReturnType<typeof money>>;

/** One validation failure in the framework's list shape (spec 30 §1). */
export interface FieldError {
  type: string;
  loc: (string | number)[];
  msg: string;
  input: unknown;
  ctx?: Record<string, unknown>;
}

/** Map Zod issues to the `{type, loc, msg, input}` list clients already parse. */
export function toFieldErrors(error: z.ZodError, prefix: (string | number)[] = []): FieldError[] {
  return error.issues.flatMap((issue): FieldError | FieldError[] => {
    const at = [...prefix, ...issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p))];
    // Strict objects: one error per unknown key, at that key.
    if (issue.code === 'unrecognized_keys') return extraKeyErrors(issue, at, issue.input);
    // Discriminated unions: the offending (or missing) tag value, not the whole object.
    const discriminator = (issue as { discriminator?: unknown }).discriminator;
    if (issue.code === 'invalid_union' && typeof discriminator === 'string') {
      const tag = (issue.input as Record<string, unknown> | undefined)?.[discriminator];
      return tag === undefined
        ? { type: 'missing', loc: at, msg: `Field required: ${issue.message}`, input: null }
        : { type: 'union_tag_invalid', loc: at, msg: issue.message, input: plainInput(tag) };
    }
    const loc = at;
    const params = (issue as { params?: IssueType }).params;
    const rawInput = (issue as { input?: unknown }).input;
    const input = plainInput(rawInput);
    if (params?.type) {
      const out: FieldError = { type: params.type, loc, msg: issue.message, input };
      if (params.ctx) out.ctx = params.ctx;
      return out;
    }
    if (issue.code === 'invalid_type') {
      if (rawInput === undefined) return { type: 'missing', loc, msg: 'Field required', input: null };
      if (issue.expected === 'array')
        return { type: 'list_type', loc, msg: 'Input should be a valid list', input };
      if (issue.expected === 'object' || issue.expected === 'record')
        return { type: 'dict_type', loc, msg: 'Input should be a valid dictionary', input };
      if (issue.expected === 'string')
        return { type: 'string_type', loc, msg: 'Input should be a valid string', input };
    }
    return { type: issue.code, loc, msg: issue.message, input };
  });
}

/** A strict object's unknown keys: one `extra_forbidden` entry per key, located at the key. */
function extraKeyErrors(issue: z.core.$ZodIssue, loc: (string | number)[], input: unknown): FieldError[] {
  const keys = (issue as { keys?: string[] }).keys ?? [];
  const values = input && typeof input === 'object' ? (input as Record<string, unknown>) : {};
  return keys.map((key) => ({
    type: 'extra_forbidden',
    loc: [...loc, key],
    msg: 'Extra inputs are not permitted',
    input: plainInput(values[key]),
  }));
}

/** Raw JSON tokens back to plain JSON values for echoing in an error. */
function plainInput(value: unknown): unknown {
  if (isLosslessNumber(value)) return Number(value.value);
  if (value === undefined) return null;
  if (isDec(value)) return String(value);
  if (Array.isArray(value)) return value.map(plainInput);
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plainInput(v)]));
  }
  return value;
}
