import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { ENGINE_KEY_PATTERN } from './engine-key.js';

/** What a PID file records about one running engine. */
export interface PidRecord {
  pid: number;
  /**
   * The secret the engine demands from clients (a fresh one per launch), for a later server that adopts it.
   * Absent when the engine takes none, and when the recorded one cannot be trusted (malformed, or the file is
   * readable by others or not ours): such an engine is restarted rather than adopted.
   */
  apiKey?: string;
}

const recordSchema = z.object({ pid: z.number().int().positive(), apiKey: z.unknown().optional() });
const keySchema = z.string().regex(ENGINE_KEY_PATTERN);

/**
 * The PID file of one managed engine: `<stateDir>/<name>-<port>.pid`, a JSON {@link PidRecord} written with
 * mode 0600 (it may hold the engine's key). It lets a later server start find an engine still running.
 * A bare process id (the format before keys) still reads, without a key.
 */
export class PidFile {
  /** Absolute path of the file. */
  readonly path: string;

  /** @param stateDir folder of the PID files (created on first write), e.g. `$AUTOBYTEUS_HOME/run` */
  constructor(
    private readonly stateDir: string,
    name: string,
    port: number,
  ) {
    this.path = join(stateDir, `${name}-${port}.pid`);
  }

  /** The recorded pid, or undefined when there is no file or it holds no pid. */
  read(): number | undefined {
    return this.readRecord()?.pid;
  }

  /** The record, validated; undefined when there is no file or it holds no valid pid. */
  readRecord(): PidRecord | undefined {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8').trim();
    } catch {
      return undefined;
    }
    if (/^\d+$/.test(text)) {
      const pid = Number.parseInt(text, 10);
      return pid > 0 ? { pid } : undefined;
    }
    let parsed: z.infer<typeof recordSchema>;
    try {
      const result = recordSchema.safeParse(JSON.parse(text));
      if (!result.success) return undefined;
      parsed = result.data;
    } catch {
      return undefined;
    }
    const key = keySchema.safeParse(parsed.apiKey);
    return key.success && this.privateToUs() ? { pid: parsed.pid, apiKey: key.data } : { pid: parsed.pid };
  }

  /** Records `pid` and its key (atomically: written aside with mode 0600, then renamed over). */
  write(pid: number, apiKey?: string): void {
    mkdirSync(this.stateDir, { recursive: true, mode: 0o700 });
    const temp = `${this.path}.${process.pid}.tmp`;
    // A leftover temp file would keep its old mode: start from none.
    rmSync(temp, { force: true });
    const record: PidRecord = apiKey === undefined ? { pid } : { pid, apiKey };
    writeFileSync(temp, `${JSON.stringify(record)}\n`, { mode: 0o600, flag: 'wx' });
    renameSync(temp, this.path);
  }

  /** Removes the file; `onlyIf` removes it only while it still records that pid. */
  remove(onlyIf?: number): void {
    if (onlyIf !== undefined && this.read() !== onlyIf) return;
    rmSync(this.path, { force: true });
  }

  /**
   * Asks whoever supervises the engine not to restart it when it exits next (`engines stop` from
   * another process): without it, a supervisor sees the exit as a crash and starts the engine again.
   */
  requestStop(): void {
    mkdirSync(this.stateDir, { recursive: true, mode: 0o700 });
    writeFileSync(this.stopRequestPath, `${process.pid}\n`, { mode: 0o600 });
  }

  /** True (once) when a stop was requested: the request is consumed. */
  takeStopRequest(): boolean {
    if (!existsSync(this.stopRequestPath)) return false;
    rmSync(this.stopRequestPath, { force: true });
    return true;
  }

  /** Drops a stop request left from earlier (a fresh start means the engine is wanted). */
  clearStopRequest(): void {
    rmSync(this.stopRequestPath, { force: true });
  }

  private get stopRequestPath(): string {
    return `${this.path}.stop`;
  }

  /** A key is trusted only from a file nobody else can read or could have written. */
  private privateToUs(): boolean {
    try {
      const stat = statSync(this.path);
      const uid = process.getuid?.();
      return (stat.mode & 0o077) === 0 && (uid === undefined || stat.uid === uid);
    } catch {
      return false;
    }
  }
}
