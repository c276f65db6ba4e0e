/**
 * From book lines to per-portfolio simulate bodies, pure. Each portfolio's body is exactly the
 * /rebalance/simulate body a client would send for that portfolio alone: its snapshot, the
 * shared market data and shelf, its model's targets and the shared options with its own
 * overrides merged over them key by key.
 */
import { bookOptionsSchema, bookSharedLineSchema, type BookShared } from '../contracts/book.js';
import { parseJsonText, validate } from '../contracts/parse.js';
import type { FieldError } from '../contracts/primitives.js';

export type Raw = Record<string, unknown>;

const isObject = (v: unknown): v is Raw => v !== null && typeof v === 'object' && !Array.isArray(v);

/** `loc: msg` of each error, joined: the text stored as a failed line's `error`. */
export function errorText(errors: readonly FieldError[]): string {
  return errors
    .slice(0, 5)
    .map((e) => (e.loc.length > 0 ? `${e.loc.join('.')}: ${e.msg}` : e.msg))
    .join('; ');
}

export type SharedParse = { ok: true; raw: Raw; value: BookShared } | { ok: false; errors: FieldError[] };

/** Line 1: JSON, the shared schema, and the shared options under the engine's option rules. */
export function parseShared(text: string): SharedParse {
  const json = parseJsonText(text);
  if (!json.ok) return json;
  const parsed = validate(bookSharedLineSchema, json.value);
  if (!parsed.ok) return parsed;
  const options = validate(bookOptionsSchema, (json.value as Raw).options ?? {}, ['options']);
  if (!options.ok) return options;
  return { ok: true, raw: json.value as Raw, value: parsed.value };
}

export type PortfolioBody =
  | { ok: true; body: Raw; portfolioId: string; modelId: string }
  | { ok: false; error: string; portfolioId: string | null };

/** The simulate body of one portfolio line (raw JSON values, validated later by the simulate schema). */
export function portfolioBody(shared: Raw, line: unknown): PortfolioBody {
  if (!isObject(line)) return { ok: false, error: 'line: Input should be a JSON object', portfolioId: null };
  const snapshot = line.portfolio_snapshot;
  const portfolioId =
    isObject(snapshot) && typeof snapshot.portfolio_id === 'string' ? snapshot.portfolio_id : null;
  if (!isObject(snapshot))
    return { ok: false, error: 'portfolio_snapshot: Input should be a JSON object', portfolioId };
  const modelId = line.model_id;
  if (typeof modelId !== 'string')
    return { ok: false, error: 'model_id: Input should be a valid string', portfolioId };
  const models = shared.models as Raw;
  if (!Object.prototype.hasOwnProperty.call(models, modelId))
    return { ok: false, error: `model_id: unknown model '${modelId.slice(0, 64)}'`, portfolioId };
  if (line.options !== undefined && !isObject(line.options))
    return { ok: false, error: 'options: Input should be a JSON object', portfolioId };
  const known = new Set(['portfolio_snapshot', 'model_id', 'options']);
  const extra = Object.keys(line).find((k) => !known.has(k));
  if (extra !== undefined)
    return { ok: false, error: `${extra.slice(0, 64)}: Extra inputs are not permitted`, portfolioId };
  const sharedOptions = (shared.options ?? {}) as Raw;
  return {
    ok: true,
    portfolioId: portfolioId ?? '',
    modelId,
    body: {
      portfolio_snapshot: snapshot,
      market_data_snapshot: shared.market_data_snapshot,
      model_portfolio: { targets: (models[modelId] as Raw).targets },
      shelf_entries: shared.shelf_entries,
      options: line.options ? { ...sharedOptions, ...line.options } : sharedOptions,
    },
  };
}

/** A portfolio line's text → its simulate body, JSON errors included. */
export function portfolioBodyFromText(shared: Raw, text: string): PortfolioBody {
  const json = parseJsonText(text);
  if (!json.ok) return { ok: false, error: errorText(json.errors), portfolioId: null };
  return portfolioBody(shared, json.value);
}
