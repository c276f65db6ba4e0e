/** Loading the golden and demo fixtures copied from ../shared/fixtures (see test/fixtures/README.md). */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const FIXTURES_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures');

export function fixtureFiles(subdir: string): string[] {
  return readdirSync(join(FIXTURES_DIR, subdir))
    .filter((f) => f.endsWith('.json'))
    .sort();
}

export function readFixtureText(subdir: string, file: string): string {
  return readFileSync(join(FIXTURES_DIR, subdir, file), 'utf8');
}

export function readFixture<T = Record<string, unknown>>(subdir: string, file: string): T {
  return JSON.parse(readFixtureText(subdir, file)) as T;
}
