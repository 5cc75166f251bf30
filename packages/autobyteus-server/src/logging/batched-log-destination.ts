import { write, writeSync } from 'node:fs';

/** Bytes gathered before a write goes out at once. */
const BATCH_BYTES = 4096;
/** Longest a line waits in the batch, in ms. */
const BATCH_MS = 100;
/** Tries on a full non-blocking pipe (EAGAIN) before a write at exit gives up. */
const EXIT_EAGAIN_TRIES = 1000;

const live = new Set<WeakRef<BatchedLogDestination>>();
let exitHookInstalled = false;

/**
 * A pino destination for logs that go to a pipe or file: lines are gathered and written together
 * (every 4 KB or 100 ms), since a write per line costs a thread-pool round trip each (the gateway's
 * two request lines were 14 of its 22 system calls per request; docs/performance.md section 4). What
 * is left is written at process exit. Unlike pino's own buffered destination (sonic-boom 4, which
 * retries a failed synchronous write forever unless the error is EAGAIN), a destination that cannot
 * be written (a parent that went away leaves a broken pipe) drops its lines: exit never hangs on it.
 */
export class BatchedLogDestination {
  private pending = '';
  private inFlight = false;
  private broken = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly fd: number) {
    live.add(new WeakRef(this));
    if (!exitHookInstalled) {
      exitHookInstalled = true;
      process.on('exit', flushAllAtExit);
    }
  }

  /** Takes one serialised record (pino's `write`). */
  write(text: string): boolean {
    if (this.broken) return true;
    this.pending += text;
    if (this.pending.length >= BATCH_BYTES) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), BATCH_MS).unref();
    return true;
  }

  /** Sends what is gathered now (one write in flight at a time, so lines stay in order). */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.inFlight || this.broken || this.pending === '') return;
    const data = Buffer.from(this.pending);
    this.pending = '';
    this.inFlight = true;
    this.send(data, 0);
  }

  /** Writes what is left synchronously (process exit); gives up on any error but a full pipe. */
  flushSync(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.broken || this.pending === '') return;
    const data = Buffer.from(this.pending);
    this.pending = '';
    let offset = 0;
    for (let tries = 0; offset < data.length && tries < EXIT_EAGAIN_TRIES; ) {
      try {
        offset += writeSync(this.fd, data, offset);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') {
          this.broken = true;
          return;
        }
        tries++;
      }
    }
  }

  private send(data: Buffer, offset: number): void {
    write(this.fd, data, offset, data.length - offset, null, (error, written) => {
      if (error) {
        if (error.code === 'EAGAIN') {
          setTimeout(() => this.send(data, offset), 10).unref();
          return;
        }
        // Nobody reads these lines any more: stop gathering them.
        this.broken = true;
        this.pending = '';
        this.inFlight = false;
        return;
      }
      if (offset + written < data.length) return this.send(data, offset + written);
      this.inFlight = false;
      if (this.pending.length >= BATCH_BYTES) this.flush();
      else if (this.pending !== '') this.timer ??= setTimeout(() => this.flush(), BATCH_MS).unref();
    });
  }
}

function flushAllAtExit(): void {
  for (const ref of live) ref.deref()?.flushSync();
}
