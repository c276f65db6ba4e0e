/**
 * The OpenAPI document's named schemas. Every Zod schema carrying `.meta({ id: 'PascalName' })`
 * becomes `#/components/schemas/PascalName` and is referenced with `$ref` wherever it is used, so
 * generated clients get one named type per contract. Routes only declare their Zod schemas; the
 * route helper converts them here. A schema that reads differently as a request (defaults make
 * fields optional) and as a response is published twice: `Name` and `NameInput`.
 */
import { z } from 'zod';
import { documentSchema } from '../contracts/field-docs.js';

type Json = Record<string, unknown>;
type Io = 'input' | 'output';

const COMPONENTS = '#/components/schemas/';

/** Title, tags and top-level description of the document (one place, used by app.ts). */
export const API_INFO = {
  title: 'Keel rebalancing API (DPM, advisory proposals, runs, operations, workflow)',
  description:
    'Deterministic portfolio rebalancing for private banking. Decimals are JSON strings holding the exact ' +
    'decimal text (JSON numbers are accepted on input). Domain outcomes (READY / PENDING_REVIEW / BLOCKED) are ' +
    '200; malformed requests are 422 with a field-level list; flags, look-ups and conflicts are ' +
    '{"detail": "<CODE>"}; a database that is down, stalled or full is 503 with Retry-After. Every response ' +
    'carries X-Request-Id.',
};

export const TAGS = [
  { name: 'DPM', description: 'Discretionary rebalancing: simulate one portfolio, batch what-if analysis.' },
  {
    name: 'Runs',
    description: 'Stored runs: look-ups, idempotency records, artifacts, support bundles, lineage, summary.',
  },
  { name: 'Operations', description: 'Asynchronous batch analyses: submit, execute, poll.' },
  {
    name: 'Workflow',
    description: 'Review of runs that need it: approve, reject, request changes; decisions.',
  },
  {
    name: 'Advisory',
    description: 'Advisory proposals: simulate an advisor’s trades and cash flows, build the artifact.',
  },
  {
    name: 'Policies',
    description: 'Per-tenant rule sets applied to simulate and analyze: selection, catalog, admin, history.',
  },
  {
    name: 'Proposals',
    description: 'Persisted proposals: versions, review, approvals, client consent, execution, timeline.',
  },
  {
    name: 'Scenarios',
    description: 'Saved what-ifs on a portfolio: definitions, versions, background runs, outputs, metrics.',
  },
  { name: 'Identity', description: 'Who the caller is: tenant, user, roles, permissions.' },
  {
    name: 'Books',
    description:
      'Book rebalance: thousands of portfolios in one job (JSON Lines), progress, exceptions, block orders, CSV and FIX files.',
  },
  { name: 'Health', description: 'Liveness and readiness; no identity needed.' },
];

/** The body of /health/live and /health/ready. */
export const healthStatusSchema = z
  .object({
    status: z.enum(['ok', 'unavailable']).meta({ description: 'Overall state.', examples: ['ok'] }),
    database: z
      .string()
      .optional()
      .meta({
        description:
          'Readiness only: ok, or why writes cannot succeed: unreachable, unavailable, timeout, storage_full, storage_fault.',
        examples: ['ok'],
      }),
  })
  .meta({ id: 'HealthStatus', description: 'Health of the process, and readiness of its database.' });

/** Collects the named schemas of every route into one `components.schemas` map. */
export class SchemaComponents {
  /** Published as the document's `components.schemas` (read when the document is first built). */
  readonly schemas: Record<string, Json> = {};
  private readonly variants = new Map<string, Partial<Record<Io, { name: string; raw: string }>>>();

  /** The JSON Schema of `schema` for a request (`input`) or a response (`output`), named parts as `$ref`s. */
  convert(schema: z.ZodType, io: Io): Json {
    const {
      $schema: _ignored,
      $defs,
      ...root
    } = z.toJSONSchema(schema, {
      io,
      unrepresentable: 'any',
    }) as Json & { $defs?: Record<string, Json> };
    const defs = $defs ?? {};
    const names = new Map<string, string>();
    const added: string[] = [];
    for (const [id, body] of Object.entries(defs)) {
      const raw = JSON.stringify(body);
      const known = this.variants.get(id) ?? {};
      this.variants.set(id, known);
      let name = known[io]?.name;
      if (!name) {
        const other = known[io === 'input' ? 'output' : 'input'];
        name = !other || other.raw === raw ? id : io === 'input' ? `${id}Input` : `${id}Output`;
        known[io] = { name, raw };
        if (!this.schemas[name]) added.push(id);
      }
      names.set(id, name);
    }
    for (const id of added) this.schemas[names.get(id)!] = documentSchema(rewrite(defs[id], names)) as Json;
    return documentSchema(rewrite(root, names)) as Json;
  }
}

function rewrite(value: unknown, names: Map<string, string>): unknown {
  if (Array.isArray(value)) return value.map((v) => rewrite(v, names));
  if (value && typeof value === 'object') {
    const out: Json = {};
    for (const [k, v] of Object.entries(value)) {
      if (k === '$ref' && typeof v === 'string' && v.startsWith('#/$defs/')) {
        const id = v.slice('#/$defs/'.length);
        out[k] = `${COMPONENTS}${names.get(id) ?? id}`;
      } else out[k] = rewrite(v, names);
    }
    return out;
  }
  return value;
}
