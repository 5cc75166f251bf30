import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The PID file of one managed engine: `<stateDir>/<name>-<port>.pid`, holding the process id and a
 * newline (so `kill $(cat file)` works). It lets a later server start find an engine still running.
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
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch {
      return undefined;
    }
    const pid = Number.parseInt(text.trim(), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  }

  /** Records `pid` (atomically: written aside, then renamed over). */
  write(pid: number): void {
    mkdirSync(this.stateDir, { recursive: true, mode: 0o700 });
    const temp = `${this.path}.${process.pid}.tmp`;
    writeFileSync(temp, `${pid}\n`, { mode: 0o600 });
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
}
