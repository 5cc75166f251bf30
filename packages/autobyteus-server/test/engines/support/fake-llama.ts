import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** The llama-server scripts/prepare-test-engines.sh built, when this machine has it. */
export const TEST_CACHE = process.env.AUTOBYTEUS_TEST_CACHE || join(homedir(), '.cache', 'autobyteus-test');
export const REAL_LLAMA_SERVER = join(TEST_CACHE, 'llama-server', 'bin', 'llama-server');
export const hasRealLlamaServer = existsSync(REAL_LLAMA_SERVER);

/**
 * A stand-in llama-server: a shell script that answers `--version` on stderr like the real one
 * (`version: 0.4.0-dev (build 7, commit abc1234)` → b7-abc1234) and exits with `exitCode` otherwise.
 */
export function writeFakeLlamaServer(dir: string, options: { build?: number; exitCode?: number } = {}): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'llama-server');
  writeFileSync(
    path,
    `#!/bin/sh
if [ "$1" = "--version" ]; then
  echo "version: 0.4.0-dev (build ${options.build ?? 7}, commit abc1234)" >&2
  echo "built with cc for test" >&2
  exit 0
fi
exit ${options.exitCode ?? 0}
`,
    { mode: 0o755 },
  );
  return path;
}
