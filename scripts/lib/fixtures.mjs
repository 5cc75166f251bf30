// The llama.cpp answers recorded by scripts/record-fixtures.mjs, which the benchmark stubs replay.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const LLAMA_CPP_FIXTURES = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  'packages',
  'autobyteus',
  'test',
  'fixtures',
  'llama-cpp',
);

/** The raw response body of fixture `<name>.json` (e.g. `models`, `props`). */
export function llamaCppFixtureBody(name) {
  return JSON.parse(readFileSync(join(LLAMA_CPP_FIXTURES, `${name}.json`), 'utf8')).response.body;
}
