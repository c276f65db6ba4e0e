/** Running real `keel` processes in tests: free ports, readiness, clean stops. */
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

export const KEEL_BIN = fileURLToPath(new URL('../../bin/keel.js', import.meta.url));

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

export interface KeelProcess {
  child: ChildProcess;
  /** Everything the process printed so far. */
  output: () => string;
}

export function spawnKeel(args: string[], env: Record<string, string>): KeelProcess {
  let out = '';
  const child = spawn(process.execPath, [KEEL_BIN, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  return { child, output: () => out };
}

/** `keel serve` on a free port, resolved once /health/ready answers. */
export async function serveKeel(env: Record<string, string>): Promise<KeelProcess & { port: number }> {
  const port = await freePort();
  const proc = spawnKeel(['serve'], { ...env, PORT: String(port) });
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (proc.child.exitCode !== null) break;
    try {
      if ((await fetch(`http://127.0.0.1:${port}/health/ready`)).ok) return { ...proc, port };
    } catch {
      // still starting
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  proc.child.kill('SIGKILL');
  throw new Error(`keel serve did not start: ${proc.output()}`);
}

export async function stopKeel(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill(signal);
  await exited;
}
