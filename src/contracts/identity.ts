/** Who is calling: the body of `GET /me` (the review console reads it to show only what the caller may do). */
import { z } from 'zod';

export const identitySchema = z
  .object({
    tenant_id: z.string().meta({
      description: 'The tenant every read and write of the caller is scoped to.',
      examples: ['bank_a'],
    }),
    user_id: z
      .string()
      .nullable()
      .meta({
        description:
          'The acting user (the token’s actor claim); null without authentication or when the token names none.',
        examples: ['compliance_bob'],
      }),
    authenticated: z.boolean().meta({
      description: 'True when a verified bearer token identified the caller; false with authentication off.',
      examples: [true],
    }),
    roles: z
      .array(z.string())
      .meta({ description: 'The token’s roles (empty without authentication).', examples: [['compliance']] }),
    permissions: z.array(z.string()).meta({
      description: 'What the roles allow, in a stable order (every permission without authentication).',
      examples: [['runs:read', 'workflow:decide', 'proposals:approve', 'scenarios:read']],
    }),
  })
  .meta({ id: 'Identity', description: 'The caller: tenant, user, roles and permissions.' });

export type Identity = z.output<typeof identitySchema>;
