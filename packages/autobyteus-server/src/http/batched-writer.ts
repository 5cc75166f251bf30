import type { ServerResponse } from 'node:http';

/**
 * Collects the SSE text produced in one turn of the event loop and writes it with a single call.
 * Engines deliver many tokens per TCP read; one write per token costs a syscall each, which showed
 * up as the largest item in the gateway's CPU profile. Backpressure is respected: when the socket
 * buffer is full, writers wait for `drain`.
 */
export class BatchedWriter {
  private pending = '';
  private scheduled = false;
  private drained: Promise<void> = Promise.resolve();

  constructor(private readonly res: ServerResponse) {}

  /** Queues text; resolves at once unless the client is not keeping up. */
  write(text: string): Promise<void> {
    if (!text) return this.drained;
    this.pending += text;
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flushNow());
    }
    return this.drained;
  }

  /** Writes whatever is queued now (before ending the response). */
  async flush(): Promise<void> {
    this.flushNow();
    await this.drained;
  }

  private flushNow(): void {
    this.scheduled = false;
    if (!this.pending || this.res.destroyed) return;
    const text = this.pending;
    this.pending = '';
    if (!this.res.write(text)) {
      this.drained = new Promise((resolve) => {
        const done = () => {
          this.res.off('close', done);
          this.res.off('drain', done);
          resolve();
        };
        this.res.once('drain', done);
        this.res.once('close', done);
      });
    }
  }
}
