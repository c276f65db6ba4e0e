// What the HTTP benchmarks share: a free loopback port, a server child process started and
// waited for until /health/ready answers, and fresh schemas on a PostgreSQL server.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import pg from 'pg';

export async function freePort() {
  const server = createServer();
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address();
  await new Promise((r) => server.close(r));
  return port;
}

/**
 * Start `keel serve` (or another server script) on a free port and resolve once /health/ready
 * answers; the child is killed if it does not within the time allowed.
 */
export async function startServer(
  env,
  { script = ['bin/keel.js', 'serve'], cwd, nodeArgs = [], timeoutMs = 60_000 } = {},
) {
  const port = await freePort();
  const child = spawn(process.execPath, [...nodeArgs, ...script], {
    cwd,
    env: { ...process.env, ...env, PORT: String(port) },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/health/ready`)).ok) return { child, port };
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new Error('server did not start');
}

export async function stopServer(child) {
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
}

/** A schema of its own on the server, so a benchmark never touches other data; its search_path URL. */
export async function freshSchema(url, schema) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query(`CREATE SCHEMA ${schema}`);
  await client.end();
  const u = new URL(url);
  u.searchParams.set('options', `-c search_path=${schema}`);
  return u.toString();
}

export async function dropSchemas(url, ...schemas) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  for (const schema of schemas) await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await client.end();
}
