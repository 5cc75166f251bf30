import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { type Logger, pino } from 'pino';

export { freePort } from '../../../../autobyteus/test/support/real-engines.js';

export const FIXTURES = join(import.meta.dirname, 'fixtures');
export const FAKE_ENGINE = join(FIXTURES, 'fake-engine.mjs');

/** A pino logger whose JSON records are kept in memory. */
export interface CapturedLogger {
  logger: Logger;
  /** Everything written so far (JSON lines). */
  text(): string;
  records(): Array<Record<string, unknown>>;
}

export function captureLogger(level = 'debug'): CapturedLogger {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, callback) {
      chunks.push(String(chunk));
      callback();
    },
  });
  const logger = pino({ level }, stream);
  const text = () => chunks.join('');
  return {
    logger,
    text,
    records: () =>
      text()
        .split('\n')
        .filter((line) => line.trim() !== '')
        .map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

export function tempStateDir(): string {
  return mkdtempSync(join(tmpdir(), 'autobyteus-run-'));
}

/** argv of the fake engine on `port` with extra options (see fixtures/fake-engine.mjs). */
export function fakeEngineCommand(port: number, ...options: string[]): string[] {
  return [process.execPath, FAKE_ENGINE, '--port', String(port), ...options];
}

/** Polls `check` every 20 ms until it returns true; throws after `timeoutMs` with `what`. */
export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

/** Pids of running (not zombie) processes whose command line contains every one of `needles` (from `ps`). */
export function processesMatching(...needles: string[]): number[] {
  return listProcesses()
    .filter((p) => needles.every((needle) => p.args.includes(needle)))
    .map((p) => p.pid);
}

/** Pids of this test process's running children whose command line contains `needle`. */
export function childProcessesMatching(needle: string): number[] {
  return listProcesses()
    .filter((p) => p.ppid === process.pid && p.args.includes(needle))
    .map((p) => p.pid);
}

function listProcesses(): Array<{ pid: number; ppid: number; args: string }> {
  const out = execFileSync('ps', ['-eo', 'pid=,ppid=,stat=,args='], { encoding: 'utf8' });
  return out
    .split('\n')
    .map((line) => line.trim().match(/^(\d+)\s+(\d+)\s+(\S+)\s+(.*)$/))
    .filter((m): m is RegExpMatchArray => m !== null && !m[3]?.startsWith('Z'))
    .map((m) => ({ pid: Number(m[1]), ppid: Number(m[2]), args: m[4] ?? '' }));
}

/** Fails loudly when the built manager (used by child-process fixtures) is missing or older than its source. */
export function assertBuiltManagerIsCurrent(): void {
  const src = join(import.meta.dirname, '..', '..', '..', 'src', 'engines', 'process');
  const dist = join(import.meta.dirname, '..', '..', '..', 'dist', 'engines', 'process');
  for (const file of readdirSync(src).filter((name) => name.endsWith('.ts'))) {
    const built = join(dist, file.replace(/\.ts$/, '.js'));
    if (!existsSync(built) || statSync(built).mtimeMs < statSync(join(src, file)).mtimeMs) {
      throw new Error(`${built} is missing or older than its source: run \`npm run build\` first`);
    }
  }
}
