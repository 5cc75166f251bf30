import { describe, expect, it } from 'vitest';
import {
  BackgroundJobs,
  type DescribeFailure,
  JobCancelledError,
  type JobContext,
  type JobState,
  type JobView,
} from '../../src/app/background-jobs.js';

/**
 * Work a test finishes by hand. `running` resolves with the job's context once the work has been called
 * (the jobs call it a microtask after the job turns running); `finish` and `fail` settle it, also before.
 */
function work() {
  let resolve: (value: unknown) => void = () => {};
  let reject: (error: unknown) => void = () => {};
  const result = new Promise<unknown>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  let called: (context: JobContext) => void = () => {};
  const w = {
    started: 0,
    running: new Promise<JobContext>((res) => {
      called = res;
    }),
    run: (context: JobContext): Promise<unknown> => {
      w.started++;
      called(context);
      return result;
    },
    finish: (value: unknown) => resolve(value),
    fail: (error: unknown) => reject(error),
  };
  return w;
}

/** Work that ends only when its signal is aborted, rejecting with the signal's reason (as a download does). */
function untilAborted(context: JobContext): Promise<unknown> {
  return new Promise((_resolve, reject) => {
    context.signal.addEventListener('abort', () => reject(context.signal.reason), { once: true });
  });
}

const describeFailure: DescribeFailure = (error) => ({
  message: (error as Error).message,
  code: 'pull_failed',
  status: 502,
});

/** Resolves with the job once it is in `state` (at once when it already is). */
function reach(jobs: BackgroundJobs, id: string, state: JobState): Promise<JobView> {
  return new Promise((resolve) => {
    const now = jobs.get(id);
    if (now?.state === state) return resolve(now);
    const off = jobs.subscribe((view) => {
      if (view.id === id && view.state === state) {
        off();
        resolve(view);
      }
    });
  });
}

describe('BackgroundJobs: join by key', () => {
  it('a second start with the live job key joins that job instead of running the work again', async () => {
    const jobs = new BackgroundJobs();
    const first = work();
    const second = work();
    const a = jobs.start('pull', 'hf:org/model', 'org/model', first.run, describeFailure);
    const b = jobs.start('pull', 'hf:org/model', 'org/model', second.run, describeFailure);
    expect(a.joined).toBe(false);
    expect(b.joined).toBe(true);
    expect(b.job.id).toBe(a.job.id);
    expect(b.job.joined).toBe(1);
    await first.running;
    expect(first.started).toBe(1);
    expect(second.started).toBe(0);
    expect(jobs.list()).toHaveLength(1);
    expect(jobs.live('hf:org/model')?.id).toBe(a.job.id);

    first.finish({ file: 'model.gguf' });
    const done = await reach(jobs, a.job.id, 'done');
    expect(done.result).toEqual({ file: 'model.gguf' });
    expect(jobs.live('hf:org/model')).toBeUndefined();

    // Once finished, the key starts new work.
    const c = jobs.start('pull', 'hf:org/model', 'org/model', second.run, describeFailure);
    expect(c.joined).toBe(false);
    expect(c.job.id).not.toBe(a.job.id);
    await second.running;
    expect(second.started).toBe(1);
  });

  it('a job queued for a slot is joined as well', () => {
    const jobs = new BackgroundJobs({ maxConcurrent: { pull: 1 } });
    jobs.start('pull', 'a', 'a', work().run, describeFailure);
    const queued = jobs.start('pull', 'b', 'b', work().run, describeFailure);
    expect(queued.job.state).toBe('queued');
    const again = jobs.start('pull', 'b', 'b', work().run, describeFailure);
    expect(again).toMatchObject({ joined: true, job: { id: queued.job.id, state: 'queued', joined: 1 } });
  });
});

describe('BackgroundJobs: per-kind concurrency', () => {
  it('runs two pulls at once and queues the third until a slot frees (defaults)', async () => {
    const jobs = new BackgroundJobs();
    const works = [work(), work(), work()];
    const views = works.map((w, i) => jobs.start('pull', `k${i}`, `m${i}`, w.run, describeFailure).job);
    expect(views.map((v) => v.state)).toEqual(['running', 'running', 'queued']);
    await Promise.all([works[0]?.running, works[1]?.running]);
    expect(works.map((w) => w.started)).toEqual([1, 1, 0]);

    works[1]?.finish('second');
    await works[2]?.running;
    expect(works[2]?.started).toBe(1);
    expect(jobs.get(views[2]?.id ?? '')?.state).toBe('running');
    expect(jobs.get(views[0]?.id ?? '')?.state).toBe('running');
  });

  it('each kind has its own slots: full pull slots do not hold back an engine upgrade, one upgrade at a time', () => {
    const jobs = new BackgroundJobs();
    jobs.start('pull', 'p1', 'p1', work().run, describeFailure);
    jobs.start('pull', 'p2', 'p2', work().run, describeFailure);
    expect(jobs.start('pull', 'p3', 'p3', work().run, describeFailure).job.state).toBe('queued');
    expect(jobs.start('engine-upgrade', 'u1', 'llama-cpp', work().run, describeFailure).job.state).toBe('running');
    expect(jobs.start('engine-upgrade', 'u2', 'mlx', work().run, describeFailure).job.state).toBe('queued');
    expect(jobs.list('engine-upgrade').map((v) => v.subject)).toEqual(['mlx', 'llama-cpp']);
    expect(jobs.list('pull')).toHaveLength(3);
  });

  it('queued jobs start in the order they were queued', async () => {
    const jobs = new BackgroundJobs({ maxConcurrent: { pull: 1 } });
    const works = [work(), work(), work()];
    const views = works.map((w, i) => jobs.start('pull', `k${i}`, `m${i}`, w.run, describeFailure).job);
    works[0]?.finish(undefined);
    await reach(jobs, views[1]?.id ?? '', 'running');
    expect(jobs.get(views[2]?.id ?? '')?.state).toBe('queued');
    works[1]?.finish(undefined);
    await reach(jobs, views[2]?.id ?? '', 'running');
  });
});

describe('BackgroundJobs: cancel', () => {
  it('a queued job ends cancelled at once and its work never runs, even when a slot frees', async () => {
    const jobs = new BackgroundJobs({ maxConcurrent: { pull: 1 } });
    const running = work();
    const queued = work();
    const a = jobs.start('pull', 'a', 'a', running.run, describeFailure).job;
    const b = jobs.start('pull', 'b', 'b', queued.run, describeFailure).job;
    const cancelled = jobs.cancel(b.id);
    expect(cancelled).toMatchObject({
      state: 'cancelled',
      error: { message: 'cancelled', code: 'cancelled', status: 499 },
    });
    expect(cancelled?.finishedAt).toBeDefined();
    expect(cancelled?.startedAt).toBeUndefined();

    running.finish(undefined);
    await reach(jobs, a.id, 'done');
    expect(queued.started).toBe(0);
    expect(jobs.get(b.id)?.state).toBe('cancelled');
  });

  it('a running job is aborted with JobCancelledError and ends cancelled once its work has unwound', async () => {
    const jobs = new BackgroundJobs();
    let signal: AbortSignal | undefined;
    const job = jobs.start(
      'pull',
      'a',
      'org/model',
      (context) => {
        signal = context.signal;
        return untilAborted(context);
      },
      describeFailure,
    ).job;
    await reach(jobs, job.id, 'running');
    await Promise.resolve();
    const seen: JobState[] = [];
    jobs.subscribe((view) => seen.push(view.state));

    const answer = jobs.cancel(job.id);
    // The work is told at once; the job stays running until the work's promise settles.
    expect(signal?.aborted).toBe(true);
    expect(signal?.reason).toBeInstanceOf(JobCancelledError);
    expect(signal?.reason).toMatchObject({ message: 'cancelled: org/model' });
    expect(answer?.state).toBe('running');

    const end = await reach(jobs, job.id, 'cancelled');
    // The work threw the abort reason; the job shows "cancelled", not a failure described from it.
    expect(end.error).toEqual({ message: 'cancelled', code: 'cancelled', status: 499 });
    expect(seen).toEqual(['cancelled']);
  });

  it('work that finishes normally after being cancelled still ends cancelled, without a result', async () => {
    const jobs = new BackgroundJobs();
    const w = work();
    const job = jobs.start('pull', 'a', 'a', w.run, describeFailure).job;
    await w.running;
    jobs.cancel(job.id);
    w.finish('too late');
    const end = await reach(jobs, job.id, 'cancelled');
    expect(end.result).toBeUndefined();
  });

  it('a new start with the key of a cancelled job still unwinding is a new job that runs after it', async () => {
    const jobs = new BackgroundJobs();
    const old = work();
    const next = work();
    const a = jobs.start('pull', 'k', 'k', old.run, describeFailure).job;
    await old.running;
    jobs.cancel(a.id);
    const b = jobs.start('pull', 'k', 'k', next.run, describeFailure);
    expect(b.joined).toBe(false);
    expect(b.job.id).not.toBe(a.id);
    // Running (a slot is free) but waiting for the old work, so two never write the same files.
    expect(b.job.state).toBe('running');
    await new Promise((resolve) => setImmediate(resolve));
    expect(next.started).toBe(0);
    old.finish(undefined);
    await reach(jobs, a.id, 'cancelled');
    await next.running;
    expect(next.started).toBe(1);
  });

  it('an unknown id answers undefined; close cancels every live job and waits for the work', async () => {
    const jobs = new BackgroundJobs({ maxConcurrent: { pull: 1 } });
    expect(jobs.cancel('no-such-job')).toBeUndefined();
    const a = jobs.start('pull', 'a', 'a', untilAborted, describeFailure).job;
    const b = jobs.start('pull', 'b', 'b', untilAborted, describeFailure).job;
    await jobs.close();
    expect(jobs.get(a.id)?.state).toBe('cancelled');
    expect(jobs.get(b.id)?.state).toBe('cancelled');
  });
});

describe('BackgroundJobs: failures', () => {
  it('a failing job keeps the described error, frees its slot, and the key can start again', async () => {
    const jobs = new BackgroundJobs({ maxConcurrent: { pull: 1 } });
    const failing = work();
    const waiting = work();
    const a = jobs.start('pull', 'k', 'org/model', failing.run, describeFailure).job;
    const b = jobs.start('pull', 'other', 'other', waiting.run, describeFailure).job;
    failing.fail(new Error('hub answered 404 for org/model'));
    const failed = await reach(jobs, a.id, 'failed');
    expect(failed.error).toEqual({ message: 'hub answered 404 for org/model', code: 'pull_failed', status: 502 });
    expect(failed.result).toBeUndefined();
    expect(failed.finishedAt).toBeDefined();
    await reach(jobs, b.id, 'running');
    // Still there for the listing, unchanged, after later jobs.
    expect(jobs.get(a.id)).toEqual(failed);
    expect(jobs.start('pull', 'k', 'org/model', work().run, describeFailure).joined).toBe(false);
  });

  it('a job whose work throws synchronously fails the same way', async () => {
    const jobs = new BackgroundJobs();
    const job = jobs.start(
      'engine-upgrade',
      'u',
      'llama-cpp',
      () => {
        throw new Error('smoke test failed');
      },
      (error) => ({ message: (error as Error).message, code: 'upgrade_failed', status: 500 }),
    ).job;
    const failed = await reach(jobs, job.id, 'failed');
    expect(failed.error).toEqual({ message: 'smoke test failed', code: 'upgrade_failed', status: 500 });
  });
});

describe('BackgroundJobs: events', () => {
  it('emits queued, running, each progress (merged), then the final state, in order', async () => {
    let clock = Date.parse('2025-01-01T00:00:00Z');
    const jobs = new BackgroundJobs({ now: () => clock++ });
    const events: JobView[] = [];
    jobs.subscribe((view) => events.push(view));
    const w = work();
    const job = jobs.start('pull', 'k', 'org/model', w.run, describeFailure).job;
    const context = await w.running;
    context.progress({ phase: 'downloading', file: 'model.gguf', bytesTotal: 100 });
    context.progress({ bytesDone: 40 });
    w.finish({ path: '/models/model.gguf' });
    await reach(jobs, job.id, 'done');

    expect(events.map((e) => e.state)).toEqual(['queued', 'running', 'running', 'running', 'done']);
    expect(events[2]?.progress).toEqual({ phase: 'downloading', file: 'model.gguf', bytesTotal: 100 });
    expect(events[3]?.progress).toEqual({ phase: 'downloading', file: 'model.gguf', bytesTotal: 100, bytesDone: 40 });
    expect(events[4]).toMatchObject({
      result: { path: '/models/model.gguf' },
      createdAt: '2025-01-01T00:00:00.000Z',
      startedAt: '2025-01-01T00:00:00.001Z',
      finishedAt: '2025-01-01T00:00:00.002Z',
    });
  });

  it('a join is an event too', () => {
    const jobs = new BackgroundJobs();
    jobs.start('pull', 'k', 'm', work().run, describeFailure);
    const events: JobView[] = [];
    jobs.subscribe((view) => events.push(view));
    jobs.start('pull', 'k', 'm', work().run, describeFailure);
    expect(events.map((e) => [e.state, e.joined])).toEqual([['running', 1]]);
  });

  it('a subscriber that leaves gets nothing more, also one that leaves while an event is delivered', async () => {
    const jobs = new BackgroundJobs();
    const stays: JobState[] = [];
    const leaves: JobState[] = [];
    const leavesInside: JobState[] = [];
    jobs.subscribe((view) => stays.push(view.state));
    const off = jobs.subscribe((view) => leaves.push(view.state));
    const offInside = jobs.subscribe((view) => {
      leavesInside.push(view.state);
      if (view.state === 'running') offInside();
    });
    const w = work();
    const job = jobs.start('pull', 'k', 'm', w.run, describeFailure).job;
    off();
    (await w.running).progress({ phase: 'downloading' });
    w.finish(undefined);
    await reach(jobs, job.id, 'done');
    expect(stays).toEqual(['queued', 'running', 'running', 'done']);
    expect(leaves).toEqual(['queued', 'running']);
    expect(leavesInside).toEqual(['queued', 'running']);
  });

  it('views are copies: changing one does not change the job', async () => {
    const jobs = new BackgroundJobs();
    const seen: JobView[] = [];
    jobs.subscribe((view) => {
      view.progress.phase = 'tampered';
      seen.push(view);
    });
    const w = work();
    const job = jobs.start('pull', 'k', 'm', w.run, describeFailure).job;
    job.state = 'done';
    (await w.running).progress({ phase: 'downloading' });
    expect(jobs.get(job.id)).toMatchObject({ state: 'running', progress: { phase: 'downloading' } });
  });
});

describe('BackgroundJobs: no moves out of a final state', () => {
  it('cancelling a finished job returns it unchanged and emits nothing', async () => {
    const jobs = new BackgroundJobs();
    const w = work();
    const job = jobs.start('pull', 'k', 'm', w.run, describeFailure).job;
    w.finish('ok');
    const done = await reach(jobs, job.id, 'done');
    const events: JobView[] = [];
    jobs.subscribe((view) => events.push(view));
    expect(jobs.cancel(job.id)).toEqual(done);
    expect(jobs.get(job.id)).toEqual(done);
    expect(events).toEqual([]);
  });

  it('progress reported after the job ended is ignored', async () => {
    const jobs = new BackgroundJobs();
    const w = work();
    const job = jobs.start('pull', 'k', 'm', w.run, describeFailure).job;
    const context = await w.running;
    context.progress({ phase: 'verifying' });
    w.fail(new Error('checksum mismatch'));
    const failed = await reach(jobs, job.id, 'failed');
    const events: JobView[] = [];
    jobs.subscribe((view) => events.push(view));
    context.progress({ phase: 'downloading', bytesDone: 1 });
    expect(jobs.get(job.id)).toEqual(failed);
    expect(failed.progress).toEqual({ phase: 'verifying' });
    expect(events).toEqual([]);
  });

  it('a cancelled queued job stays cancelled when its cancel is repeated', () => {
    const jobs = new BackgroundJobs({ maxConcurrent: { pull: 1 } });
    jobs.start('pull', 'a', 'a', work().run, describeFailure);
    const b = jobs.start('pull', 'b', 'b', work().run, describeFailure).job;
    const first = jobs.cancel(b.id);
    expect(jobs.cancel(b.id)).toEqual(first);
  });
});

describe('BackgroundJobs: finished jobs kept', () => {
  it('keeps the newest finished jobs up to keepFinished, newest first in the listing; live ones always', async () => {
    const jobs = new BackgroundJobs({ keepFinished: 2 });
    const ids: string[] = [];
    for (const name of ['one', 'two', 'three']) {
      const job = jobs.start('pull', name, name, async () => name, describeFailure).job;
      await reach(jobs, job.id, 'done');
      ids.push(job.id);
    }
    const live = jobs.start('pull', 'four', 'four', work().run, describeFailure).job;
    expect(jobs.get(ids[0] ?? '')).toBeUndefined();
    expect(jobs.list().map((v) => v.subject)).toEqual(['four', 'three', 'two']);
    expect(jobs.get(live.id)?.state).toBe('running');
  });
});
