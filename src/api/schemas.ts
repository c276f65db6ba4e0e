/**
 * Contracts every HTTP route shares: the identifier limit, identifier and key parameters, and
 * the two error bodies (spec 30 §1). Routes of every feature import these, so an id has one
 * length limit everywhere, on write and on read (docs/decisions/0010).
 */
import { z } from 'zod';
import { MAX_ID_LENGTH } from '../contracts/primitives.js';

export { MAX_ID_LENGTH };

/** An identifier in a path, query or header: 1 to MAX_ID_LENGTH characters. */
export const idText = (description: string, example: string) =>
  z
    .string({ error: 'Input should be a valid string' })
    .min(1, { error: 'String should have at least 1 character' })
    .max(MAX_ID_LENGTH, { error: `String should have at most ${MAX_ID_LENGTH} characters` })
    .meta({ description, examples: [example] });

/** An optional filter or header value: empty is allowed (it means "absent"), long is not. */
export const optionalText = (description: string, example: string) =>
  z
    .string({ error: 'Input should be a valid string' })
    .max(MAX_ID_LENGTH, { error: `String should have at most ${MAX_ID_LENGTH} characters` })
    .meta({ description, examples: [example] });

/** `Idempotency-Key`: required, not blank (closing QUIRK Q-S1, docs/decisions/0010). */
export const idempotencyKey = () =>
  z
    .string({ error: 'Input should be a valid string' })
    .min(1, { error: 'String should have at least 1 character', abort: true })
    .max(MAX_ID_LENGTH, { error: `String should have at most ${MAX_ID_LENGTH} characters`, abort: true })
    .refine((value) => value.trim() !== '', { error: 'String should not be blank' })
    .meta({
      description:
        'Replay/conflict key, 1–256 characters, not blank. The same key with the same body returns the stored result; with another body, 409.',
      examples: ['demo-01'],
    });

export const correlationId = () =>
  optionalText(
    'Trace id carried into the run and its lineage; absent or empty means none (the run gets `c_none`).',
    'corr-2026-02-20-001',
  );

export const tenantHeader = () =>
  z.string().meta({
    description:
      'Tenant (1–128 of A-Z a-z 0-9 . _ : -), used only when authentication is off; with a token the tenant is its claim. Default `default`.',
    examples: ['bank-a'],
  });

/** `{"detail": "<CODE>"}` */
export const errorBody = z
  .object({
    detail: z.string().meta({ description: 'Error code.', examples: ['DPM_RUN_NOT_FOUND'] }),
  })
  .meta({ id: 'ErrorResponse', description: 'A request-level error: `{"detail": "<CODE>"}`.' });

/** `{"detail": [{type, loc, msg, input}]}` */
export const validationErrorBody = z
  .object({
    detail: z
      .array(
        z
          .object({
            type: z.string().meta({ description: 'Error type.', examples: ['missing'] }),
            loc: z.array(z.union([z.string(), z.number()])).meta({
              description: 'Where: header/path/query/body then the field path.',
              examples: [['header', 'Idempotency-Key']],
            }),
            msg: z.string().meta({ description: 'What is wrong.', examples: ['Field required'] }),
            input: z
              .unknown()
              .meta({ description: 'The offending value (null when absent).', examples: [null] }),
            ctx: z
              .record(z.string(), z.unknown())
              .optional()
              .meta({ description: 'Limits of the failed check, when it has any.', examples: [{ le: 200 }] }),
          })
          .meta({ id: 'FieldError', description: 'One invalid field.' }),
      )
      .meta({ description: 'One entry per invalid field, path → query → header → body.' }),
  })
  .meta({
    id: 'ValidationErrorResponse',
    description: 'A validation failure: 422 with one entry per field.',
  });

/** 422 of routes that also refuse well-formed input with a domain code: either error body. */
export const validationOrDomainErrorBody = z.union([validationErrorBody, errorBody]).meta({
  id: 'ValidationOrDomainError',
  description: 'Either the field list `{"detail": [...]}` or a domain code `{"detail": "<CODE>"}`.',
});
