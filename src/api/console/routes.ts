/**
 * The review console: a single-page application built by Vite into dist/console (`npm run build`)
 * and served here as static files under `/console`. Every page URL (`/console/runs/{id}`, …) answers
 * the same index.html and the browser routes; the files themselves hold no data and need no token
 * (the page calls the API with the user's). A strict Content-Security-Policy allows only this
 * origin: no CDN, no inline script or style, no fetches elsewhere.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';

/** The policy of every /console response. */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * Where the built console is: KEEL_CONSOLE_DIR when set (null when it holds no index.html), else
 * dist/console beside the compiled service or, running from the sources, the repository's dist/console.
 */
export function consoleDirectory(env: NodeJS.ProcessEnv | Record<string, string | undefined>): string | null {
  const has = (dir: string) => existsSync(`${dir}/index.html`);
  const given = env.KEEL_CONSOLE_DIR?.trim();
  if (given) return has(given) ? given : null;
  const candidates = [
    fileURLToPath(new URL('../../console/', import.meta.url)), // dist/api/console → dist/console
    fileURLToPath(new URL('../../../dist/console/', import.meta.url)), // src/api/console → dist/console
  ];
  return candidates.find(has) ?? null;
}

export async function consoleRoutes(app: FastifyInstance, dir: string | null): Promise<void> {
  await app.register(async (scope) => {
    scope.addHook('onSend', async (_request, reply) => {
      reply.header('Content-Security-Policy', CONSOLE_CSP);
      reply.header('Cross-Origin-Embedder-Policy', 'require-corp');
      reply.header('Referrer-Policy', 'no-referrer');
    });
    if (!dir) {
      const missing = async (_r: unknown, reply: import('fastify').FastifyReply) =>
        reply
          .status(404)
          .send({ detail: 'CONSOLE_NOT_BUILT: run npm run build to build the review console' });
      scope.get('/console', { schema: { hide: true } }, missing);
      scope.get('/console/*', { schema: { hide: true } }, missing);
      return;
    }
    await scope.register(fastifyStatic, {
      root: dir,
      prefix: '/console/',
      wildcard: false,
      index: false,
      serve: true,
      decorateReply: true,
      cacheControl: false,
      setHeaders: (res, path) => {
        // Built assets carry a content hash in their names.
        res.setHeader(
          'Cache-Control',
          /[\\/]assets[\\/]/.test(path) ? 'public, max-age=31536000, immutable' : 'no-cache',
        );
      },
    });
    const page = async (
      request: import('fastify').FastifyRequest,
      reply: import('fastify').FastifyReply,
    ): Promise<unknown> => {
      // A missing asset is a 404, not the page.
      if (/^\/console\/assets\//.test(request.url)) return reply.status(404).send({ detail: 'Not Found' });
      reply.header('Cache-Control', 'no-cache');
      return reply.sendFile('index.html', dir);
    };
    scope.get('/console', { schema: { hide: true } }, page);
    scope.get('/console/*', { schema: { hide: true } }, page);
  });
}
