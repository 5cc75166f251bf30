import { randomUUID } from 'node:crypto';

/** What kind of work a job does; each kind has its own concurrency limit. */
export type JobKind = 'pull' | 'engine-upgrade';

/** `queued` (waiting for a slot), `running`, then one of the three final states. */
export type JobState = 'queued' | 'running' | 'done' | 'failed' | 'cancelled';

/** The latest progress a job reported; every field optional (a step may know only its name). */
export interface JobProgress {
  /** The step: `resolving`, `downloading`, `verifying`, `extracting`, `registering`, `building`, `smoke-test`… */
  phase?: string;
  /** The last human-readable line of the step. */
  message?: string;
  /** The file being transferred. */
  file?: string;
  bytesDone?: number;
  bytesTotal?: number;
  bytesPerSec?: number;
  /** 0..1 when the step knows how far it is but not in bytes (a build). */
  fraction?: number;
}

/** Why a job failed, as the API shows it: the HTTP status and code a synchronous call would have answered. */
export interface JobFailure {
  message: string;
  code: string;
  status: number;
}

/** A job as `GET /api/jobs` shows it. */
export interface JobView {
  id: string;
  kind: JobKind;
  /** What it works on: the model reference, or the engine name. */
  subject: string;
  state: JobState;
  progress: JobProgress;
  /** How many later requests joined this job instead of starting another. */
  joined: number;
  createdAt: string;
  startedAt?: string;
  finishedAt?: string;
  error?: JobFailure;
  /** What the work returned (the pulled model, the installed engine version). */
  result?: unknown;
}

/** What a job's work gets: its abort signal and a way to report progress. */
export interface JobContext {
  signal: AbortSignal;
  /** Merges `update` into the job's progress. */
  progress(update: JobProgress): void;
}

/** Describes a failure of the work for the API (typed errors → status and code). */
export type DescribeFailure = (error: unknown) => JobFailure;

interface Job {
  view: JobView;
  key: string;
  controller: AbortController;
  run: (context: JobContext) => Promise<unknown>;
  describe: DescribeFailure;
  /** Resolves once the work has settled (whatever the outcome). */
  settled: Promise<void>;
  settle: () => void;
  /** Settled first: a cancelled job with the same key whose work is still unwinding. */
  after?: Promise<void>;
}

export interface BackgroundJobsOptions {
  /** Jobs of one kind that run at once; the rest wait in order (default 2 pulls, 1 engine upgrade). */
  maxConcurrent?: Partial<Record<JobKind, number>>;
  /** Finished jobs kept for the listing (the oldest are dropped first; default 50). */
  keepFinished?: number;
  now?: () => number;
}

const DEFAULT_LIMITS: Record<JobKind, number> = { pull: 2, 'engine-upgrade': 1 };

/** The message shown when a job was cancelled, whatever its work threw on the way out. */
const CANCELLED: JobFailure = { message: 'cancelled', code: 'cancelled', status: 499 };

/**
 * Long work the server does for an API call (model pulls, engine upgrades), so the call can answer
 * at once with a job id and clients follow progress by polling or by {@link subscribe}. A request for
 * work already running under the same key joins that job instead of starting a second one. Jobs live
 * in this process only: a restart forgets them (the work itself resumes where its files allow).
 */
export class BackgroundJobs {
  private readonly jobs = new Map<string, Job>();
  private readonly listeners = new Set<(view: JobView) => void>();
  private readonly limits: Record<JobKind, number>;
  private readonly keepFinished: number;
  private readonly now: () => number;

  constructor(options: BackgroundJobsOptions = {}) {
    this.limits = { ...DEFAULT_LIMITS, ...options.maxConcurrent };
    this.keepFinished = options.keepFinished ?? 50;
    this.now = options.now ?? Date.now;
  }

  /**
   * Starts `run` as a job of `kind` (queued while the kind's slots are taken), or joins the live job
   * with the same `key`. `describe` turns what `run` throws into the API's failure.
   */
  start(
    kind: JobKind,
    key: string,
    subject: string,
    run: (context: JobContext) => Promise<unknown>,
    describe: DescribeFailure,
  ): { job: JobView; joined: boolean } {
    const live = this.liveByKey(key);
    if (live && !live.controller.signal.aborted) {
      live.view.joined++;
      this.changed(live);
      return { job: this.snapshot(live), joined: true };
    }
    let settle = () => {};
    const settled = new Promise<void>((resolve) => {
      settle = resolve;
    });
    const job: Job = {
      key,
      run,
      describe,
      settled,
      settle,
      controller: new AbortController(),
      view: {
        id: randomUUID(),
        kind,
        subject,
        state: 'queued',
        progress: {},
        joined: 0,
        createdAt: new Date(this.now()).toISOString(),
      },
      ...(live ? { after: live.settled } : {}),
    };
    this.jobs.set(job.view.id, job);
    this.changed(job);
    this.pump(kind);
    return { job: this.snapshot(job), joined: false };
  }

  /** Every job (newest first), or those of one kind. */
  list(kind?: JobKind): JobView[] {
    return [...this.jobs.values()]
      .filter((job) => kind === undefined || job.view.kind === kind)
      .map((job) => this.snapshot(job))
      .reverse();
  }

  get(id: string): JobView | undefined {
    const job = this.jobs.get(id);
    return job ? this.snapshot(job) : undefined;
  }

  /** The live (queued or running) job with this key, if any. */
  live(key: string): JobView | undefined {
    const job = this.liveByKey(key);
    return job ? this.snapshot(job) : undefined;
  }

  /**
   * Cancels a queued or running job: a queued one ends at once, a running one is aborted and ends
   * `cancelled` once its work has unwound. Undefined for an unknown id; a finished job is returned as is.
   */
  cancel(id: string): JobView | undefined {
    const job = this.jobs.get(id);
    if (!job) return undefined;
    if (isFinal(job.view.state)) return this.snapshot(job);
    job.controller.abort(new JobCancelledError(job.view.subject));
    if (job.view.state === 'queued') {
      this.finish(job, 'cancelled', { error: CANCELLED });
      this.pump(job.view.kind);
    }
    return this.snapshot(job);
  }

  /** Calls `listener` with the job each time it changes; returns the unsubscribe function. */
  subscribe(listener: (view: JobView) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Cancels every live job and waits for their work to unwind (server shutdown). */
  async close(): Promise<void> {
    const live = [...this.jobs.values()].filter((job) => !isFinal(job.view.state));
    for (const job of live) this.cancel(job.view.id);
    await Promise.all(live.map((job) => job.settled));
  }

  private liveByKey(key: string): Job | undefined {
    for (const job of this.jobs.values()) if (job.key === key && !isFinal(job.view.state)) return job;
    return undefined;
  }

  private pump(kind: JobKind): void {
    const all = [...this.jobs.values()].filter((job) => job.view.kind === kind);
    let running = all.filter((job) => job.view.state === 'running').length;
    for (const job of all) {
      if (running >= this.limits[kind]) return;
      if (job.view.state !== 'queued') continue;
      running++;
      void this.execute(job);
    }
  }

  private async execute(job: Job): Promise<void> {
    job.view.state = 'running';
    job.view.startedAt = new Date(this.now()).toISOString();
    this.changed(job);
    const context: JobContext = {
      signal: job.controller.signal,
      progress: (update) => {
        if (isFinal(job.view.state)) return;
        job.view.progress = { ...job.view.progress, ...update };
        this.changed(job);
      },
    };
    try {
      await job.after;
      job.controller.signal.throwIfAborted();
      const result = await job.run(context);
      if (job.controller.signal.aborted) this.finish(job, 'cancelled', { error: CANCELLED });
      else this.finish(job, 'done', { result });
    } catch (error) {
      if (job.controller.signal.aborted) this.finish(job, 'cancelled', { error: CANCELLED });
      else this.finish(job, 'failed', { error: job.describe(error) });
    } finally {
      job.settle();
      this.pump(job.view.kind);
    }
  }

  private finish(job: Job, state: JobState, outcome: { error?: JobFailure; result?: unknown }): void {
    job.view.state = state;
    job.view.finishedAt = new Date(this.now()).toISOString();
    if (outcome.error) job.view.error = outcome.error;
    if (outcome.result !== undefined) job.view.result = outcome.result;
    if (state !== 'running') job.settle();
    this.changed(job);
    this.dropOldFinished();
  }

  private dropOldFinished(): void {
    const finished = [...this.jobs.values()].filter((job) => isFinal(job.view.state));
    for (const job of finished.slice(0, Math.max(0, finished.length - this.keepFinished))) {
      this.jobs.delete(job.view.id);
    }
  }

  private changed(job: Job): void {
    const view = this.snapshot(job);
    for (const listener of this.listeners) listener(view);
  }

  private snapshot(job: Job): JobView {
    return structuredClone(job.view);
  }
}

function isFinal(state: JobState): boolean {
  return state === 'done' || state === 'failed' || state === 'cancelled';
}

/** The reason a cancelled job's signal carries. */
export class JobCancelledError extends Error {
  constructor(subject: string) {
    super(`cancelled: ${subject}`);
    this.name = 'JobCancelledError';
  }
}
