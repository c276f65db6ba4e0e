// The HTTP ceiling for bench/http.js: a trivial Fastify route that does what a Keel simulate
// call must do at the least — read a JSON body, one INSERT of a result-sized text into the same
// kind of store, answer with a body of the same size — and nothing else (no validation, engine,
// hash or serialisation). Started as a child process like `keel serve`, on the same store kind:
// DATABASE_URL (a PostgreSQL server) or KEEL_DATA_DIR (embedded PGlite). PORT, BODY_BYTES.
import { randomUUID } from 'node:crypto';
import Fastify from 'fastify';
import { openDatabase } from '../dist/store/database.js';

const bytes = Number(process.env.BODY_BYTES ?? 38_000);
const db = await openDatabase(
  process.env.DATABASE_URL ? { url: process.env.DATABASE_URL } : { dataDir: process.env.KEEL_DATA_DIR },
);
await db.exec('CREATE TABLE IF NOT EXISTS ceiling_runs (id text PRIMARY KEY, body text NOT NULL)');
// A JSON object of exactly BODY_BYTES bytes.
const body = `{"pad":"${'x'.repeat(Math.max(0, bytes - 10))}"}`;
const app = Fastify({ logger: false, bodyLimit: 10 * 1024 * 1024 });
app.get('/health/ready', async () => ({ status: 'ok' }));
app.post('/ceiling', async (request, reply) => {
  const id = randomUUID();
  await db.query('INSERT INTO ceiling_runs (id, body) VALUES ($1, $2)', [id, body]);
  reply.header('content-type', 'application/json');
  return body;
});
await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT) });
const stop = async () => {
  await app.close();
  await db.close();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
