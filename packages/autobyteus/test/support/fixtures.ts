import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** A request/response pair recorded from a real engine by `scripts/record-fixtures.mjs`. */
export interface Fixture {
  recordedFrom: string;
  request: { method: string; path: string; body?: unknown };
  response: { status: number; headers: Record<string, string>; body: string };
}

const FIXTURE_ROOT = join(import.meta.dirname, '..', 'fixtures');

export function loadFixture(engine: 'llama-cpp' | 'mlx', name: string): Fixture {
  return JSON.parse(readFileSync(join(FIXTURE_ROOT, engine, `${name}.json`), 'utf8')) as Fixture;
}

/** The `data:` events of a recorded SSE body, each with its trailing blank line. */
export function sseEvents(body: string): string[] {
  return body
    .split(/\n\n/)
    .filter((event) => event.trim() !== '')
    .map((event) => `${event}\n\n`);
}
