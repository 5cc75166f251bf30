import { LLMModel, LLMProvider, LLMRuntime } from 'autobyteus';
import { describe, expect, it } from 'vitest';
import { PoolDispatcher } from '../../src/routing/pool-dispatcher.js';
import { NoHostAvailableError, QueueFullError, QueueTimeoutError } from '../../src/routing/routing-errors.js';

const model = (port: number, slots = 1) =>
  new LLMModel({
    name: 'm',
    value: 'm',
    provider: LLMProvider.LLAMA_CPP,
    runtime: LLMRuntime.LLAMA_CPP,
    hostUrl: `http://127.0.0.1:${port}`,
    metadata: { totalSlots: slots },
  });

const dispatcher = (over: Partial<ConstructorParameters<typeof PoolDispatcher>[0]> = {}) =>
  new PoolDispatcher({
    maxQueue: 2,
    queueWaitMs: 5_000,
    breaker: { failureThreshold: 1, cooldownMs: 60_000 },
    health: () => [],
    ...over,
  });

const signal = () => new AbortController().signal;

describe('PoolDispatcher', () => {
  it('queues when every slot is busy and hands the freed slot to the first in line', async () => {
    const pool = dispatcher();
    const hosts = [model(1)];
    const first = await pool.acquire('m', hosts, new Set(), signal());
    const order: string[] = [];
    const second = pool.acquire('m', hosts, new Set(), signal()).then((lease) => {
      order.push('second');
      return lease;
    });
    const third = pool.acquire('m', hosts, new Set(), signal()).then((lease) => {
      order.push('third');
      return lease;
    });
    await expect(pool.acquire('m', hosts, new Set(), signal())).rejects.toBeInstanceOf(QueueFullError);
    first.release('ok');
    (await second).release('ok');
    (await third).release('ok');
    expect(order).toEqual(['second', 'third']);
  });

  it('lets a client that goes away leave the queue at once', async () => {
    const pool = dispatcher({ maxQueue: 1 });
    const hosts = [model(1)];
    await pool.acquire('m', hosts, new Set(), signal());
    const gone = new AbortController();
    const waiting = pool.acquire('m', hosts, new Set(), gone.signal);
    gone.abort(new Error('client went away'));
    await expect(waiting).rejects.toThrow('client went away');
    // Its place is free again.
    const next = pool.acquire('m', hosts, new Set(), signal());
    await expect(
      Promise.race([next.then(() => 'got'), new Promise((r) => setTimeout(() => r('queued'), 50))]),
    ).resolves.toBe('queued');
  });

  it('gives up after the queue wait', async () => {
    const pool = dispatcher({ queueWaitMs: 50 });
    await pool.acquire('m', [model(1)], new Set(), signal());
    await expect(pool.acquire('m', [model(1)], new Set(), signal())).rejects.toBeInstanceOf(QueueTimeoutError);
  });

  it('keeps a host with an open breaker out, and says why when nothing is left', async () => {
    const pool = dispatcher();
    const [a, b] = [model(1), model(2)];
    (await pool.acquire('m', [a, b], new Set(), signal())).release('failed', 'connection refused');
    for (let i = 0; i < 3; i++) {
      const lease = await pool.acquire('m', [a, b], new Set(), signal());
      expect(lease.model.hostUrl).toBe(b.hostUrl);
      lease.release('ok');
    }
    const error = await pool.acquire('m', [a], new Set(), signal()).catch((e) => e);
    expect(error).toBeInstanceOf(NoHostAvailableError);
    expect(error.message).toContain('circuit open (connection refused)');
  });

  it('skips hosts the health refresh reports down', async () => {
    const [a, b] = [model(1), model(2)];
    const pool = dispatcher({
      health: () => [{ runtime: LLMRuntime.LLAMA_CPP, hostUrl: a.hostUrl, status: 'down' } as never],
    });
    for (let i = 0; i < 3; i++) {
      const lease = await pool.acquire('m', [a, b], new Set(), signal());
      expect(lease.model.hostUrl).toBe(b.hostUrl);
      lease.release('ok');
    }
  });
});
