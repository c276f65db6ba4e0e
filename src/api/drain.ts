/**
 * Draining on shutdown: once shutdown begins, new requests get 503 and every response carries
 * `Connection: close`; shutdown waits until every started request has been answered *and its
 * bytes have left the process* (a large response can still sit in the socket buffer after the
 * request is complete, and closing idle sockets then would cut it off).
 */
import type { FastifyInstance } from 'fastify';
import { HttpError } from './errors.js';

export interface Drain {
  /** Stop taking requests and resolve when the in-flight ones are fully sent (or after `timeoutMs`). */
  drain(timeoutMs?: number): Promise<void>;
}

export function registerDrain(app: FastifyInstance): Drain {
  let closing = false;
  let active = 0;
  let idle: (() => void) | null = null;
  const done = () => {
    active--;
    if (active === 0 && idle) idle();
  };

  app.addHook('onRequest', async (request, reply) => {
    if (closing) throw new HttpError(503, 'SERVER_SHUTTING_DOWN', { Connection: 'close' });
    active++;
    let released = false;
    const release = () => {
      if (!released) {
        released = true;
        done();
      }
    };
    const socket = request.raw.socket;
    request.raw.once('close', release); // aborted by the client
    // Released when the response's bytes are flushed to the kernel (or the socket closes).
    reply.raw.once('finish', () => {
      if (!socket || socket.writableLength === 0) release();
      else {
        socket.once('drain', release);
        socket.once('close', release);
      }
    });
  });
  app.addHook('onSend', async (_request, reply) => {
    if (closing) reply.header('Connection', 'close');
  });

  return {
    async drain(timeoutMs = 30_000) {
      closing = true;
      if (active === 0) return;
      await new Promise<void>((resolve) => {
        idle = resolve;
        setTimeout(resolve, timeoutMs).unref();
      });
    },
  };
}
