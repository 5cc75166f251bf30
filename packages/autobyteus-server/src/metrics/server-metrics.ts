import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { cleanLabel, DEFAULT_MAX_MODEL_LABELS, hostLabel, ModelLabels } from './metric-labels.js';

/** How a gateway request ended. `rejected`: refused before any host took it (queue full, unknown model, ...). */
export type RequestOutcome = 'ok' | 'error' | 'aborted' | 'rejected';

/** A host's circuit-breaker state. */
export type BreakerState = 'closed' | 'open' | 'half_open';

/** What was downloaded: model weights or an engine (release archive, wheel). */
export type DownloadKind = 'model' | 'engine';

const BREAKER_STATES: readonly BreakerState[] = ['closed', 'open', 'half_open'];

/** Seconds; from a cached short answer (10 ms) to a long generation on a slow host (2 min). */
export const LATENCY_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120];

/** Seconds; a small GGUF from the page cache (0.1 s) to a large model from a slow disk (10 min). */
export const MODEL_LOAD_BUCKETS = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300, 600];

/** Label value for a request no host took. */
const NO_HOST = 'none';

export interface ServerMetricsOptions {
  /**
   * Whether the server knows a model (or pool) name; unknown names are counted as `other`, so names
   * typed by clients cannot create series. Absent: every name counts, up to `maxModelLabels`.
   */
  isKnownModel?: (name: string) => boolean;
  /** Bound on distinct model and pool label values, whatever `isKnownModel` says (default 200). */
  maxModelLabels?: number;
  /** Clock in milliseconds for the latency histograms (default `performance.now`). */
  now?: () => number;
  /** Include prom-client's process and Node.js metrics (default true). */
  processMetrics?: boolean;
}

/** One gateway request being measured, from {@link ServerMetrics.requestStarted}. */
export interface RequestMeasurement {
  /** The first output token reached the client: observes the time to first token (only the first call counts). */
  firstToken(): void;
  /**
   * The request is over: counts it by host and outcome, observes its duration and adds the tokens it
   * generated. `host` is the host that served it (absent: none did). Only the first call counts.
   */
  finished(outcome: RequestOutcome, info?: { host?: string; tokens?: number }): void;
}

/**
 * The server's Prometheus metrics, in a registry of its own (nothing goes to prom-client's global
 * registry, so two servers in one process, or a test, never share series). Callers use the typed
 * methods; no prom-client type leaves this class.
 */
export class ServerMetrics {
  private readonly registry = new Registry();
  private readonly models: ModelLabels;
  private readonly now: () => number;

  private readonly requests: Counter<'model' | 'host' | 'outcome'>;
  private readonly timeToFirstToken: Histogram<'model'>;
  private readonly requestDuration: Histogram<'model' | 'outcome'>;
  private readonly tokens: Counter<'model' | 'host'>;
  private readonly inFlight: Gauge<'pool'>;
  private readonly queue: Gauge<'pool'>;
  private readonly hostUp: Gauge<'runtime' | 'host'>;
  private readonly breaker: Gauge<'runtime' | 'host' | 'state'>;
  private readonly loads: Counter<'model' | 'engine' | 'outcome'>;
  private readonly unloads: Counter<'model' | 'engine' | 'reason'>;
  private readonly loadSeconds: Histogram<'model' | 'engine'>;
  private readonly downloads: Counter<'kind'>;

  constructor(options: ServerMetricsOptions = {}) {
    this.models = new ModelLabels(options.isKnownModel, options.maxModelLabels ?? DEFAULT_MAX_MODEL_LABELS);
    this.now = options.now ?? (() => performance.now());
    const registers = [this.registry];
    this.requests = new Counter({
      name: 'autobyteus_requests_total',
      help: 'Gateway requests by model, serving host and outcome (ok, error, aborted, rejected).',
      labelNames: ['model', 'host', 'outcome'],
      registers,
    });
    this.timeToFirstToken = new Histogram({
      name: 'autobyteus_time_to_first_token_seconds',
      help: 'Time from the request arriving to its first output token (model loads and queueing included).',
      labelNames: ['model'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.requestDuration = new Histogram({
      name: 'autobyteus_request_duration_seconds',
      help: 'Time from the request arriving to its end, by outcome.',
      labelNames: ['model', 'outcome'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.tokens = new Counter({
      name: 'autobyteus_tokens_generated_total',
      help: 'Completion tokens generated, by model and host.',
      labelNames: ['model', 'host'],
      registers,
    });
    this.inFlight = new Gauge({
      name: 'autobyteus_requests_in_flight',
      help: 'Gateway requests started and not yet finished, by pool (queued ones included).',
      labelNames: ['pool'],
      registers,
    });
    this.queue = new Gauge({
      name: 'autobyteus_requests_queued',
      help: 'Requests waiting for a free slot, by pool.',
      labelNames: ['pool'],
      registers,
    });
    this.hostUp = new Gauge({
      name: 'autobyteus_host_up',
      help: 'Whether a host answered its last health check (1) or not (0).',
      labelNames: ['runtime', 'host'],
      registers,
    });
    this.breaker = new Gauge({
      name: 'autobyteus_host_breaker_state',
      help: "A host's circuit-breaker state: 1 for the current state (closed, open, half_open), 0 for the others.",
      labelNames: ['runtime', 'host', 'state'],
      registers,
    });
    this.loads = new Counter({
      name: 'autobyteus_model_loads_total',
      help: 'Local model loads by outcome (ok, error).',
      labelNames: ['model', 'engine', 'outcome'],
      registers,
    });
    this.unloads = new Counter({
      name: 'autobyteus_model_unloads_total',
      help: 'Local model unloads by reason (idle, evicted, requested, exited, shutdown, ...).',
      labelNames: ['model', 'engine', 'reason'],
      registers,
    });
    this.loadSeconds = new Histogram({
      name: 'autobyteus_model_load_seconds',
      help: 'Time a successful local model load took, from starting the engine to ready.',
      labelNames: ['model', 'engine'],
      buckets: MODEL_LOAD_BUCKETS,
      registers,
    });
    this.downloads = new Counter({
      name: 'autobyteus_download_bytes_total',
      help: 'Bytes received by downloads (model weights, engines), retries included, reused files not.',
      labelNames: ['kind'],
      registers,
    });
    if (options.processMetrics ?? true) collectDefaultMetrics({ register: this.registry });
  }

  /**
   * A gateway request for `model` (the id or name it resolved to; an unknown name counts as `other`)
   * routed to `pool` started: it is in flight until the handle's `finished`.
   */
  requestStarted(labels: { model: string; pool: string }): RequestMeasurement {
    const model = this.models.value(labels.model);
    const pool = this.models.value(labels.pool);
    const startedAt = this.now();
    let sawFirstToken = false;
    let done = false;
    this.inFlight.inc({ pool });
    return {
      firstToken: () => {
        if (sawFirstToken || done) return;
        sawFirstToken = true;
        this.timeToFirstToken.observe({ model }, this.secondsSince(startedAt));
      },
      finished: (outcome, info = {}) => {
        if (done) return;
        done = true;
        this.inFlight.dec({ pool });
        const host = info.host === undefined ? NO_HOST : hostLabel(info.host);
        this.requests.inc({ model, host, outcome });
        this.requestDuration.observe({ model, outcome }, this.secondsSince(startedAt));
        if (info.tokens !== undefined && Number.isFinite(info.tokens) && info.tokens > 0) {
          this.tokens.inc({ model, host }, info.tokens);
        }
      },
    };
  }

  /** Requests waiting in `pool`'s queue changed by `delta` (+1 on entering, -1 on leaving it). */
  queued(pool: string, delta: number): void {
    this.queue.inc({ pool: this.models.value(pool) }, delta);
  }

  /** A host's health and breaker state after a check or a state change. */
  hostState(runtime: string, host: string, up: boolean, breaker: BreakerState): void {
    const labels = { runtime: cleanLabel(runtime), host: hostLabel(host) };
    this.hostUp.set(labels, up ? 1 : 0);
    for (const state of BREAKER_STATES) this.breaker.set({ ...labels, state }, state === breaker ? 1 : 0);
  }

  /** A host left the configuration (or its DNS name's answer): its series go away instead of going stale. */
  hostGone(runtime: string, host: string): void {
    const labels = { runtime: cleanLabel(runtime), host: hostLabel(host) };
    this.hostUp.remove(labels);
    for (const state of BREAKER_STATES) this.breaker.remove({ ...labels, state });
  }

  /** A local model finished loading on `engine` in `loadSeconds`. */
  modelLoaded(model: string, engine: string, loadSeconds: number): void {
    const labels = { model: this.models.value(model), engine: cleanLabel(engine) };
    this.loads.inc({ ...labels, outcome: 'ok' });
    if (Number.isFinite(loadSeconds) && loadSeconds >= 0) this.loadSeconds.observe(labels, loadSeconds);
  }

  /** A local model failed to load on `engine` (the engine exited, did not fit, timed out). */
  modelLoadFailed(model: string, engine: string): void {
    this.loads.inc({ model: this.models.value(model), engine: cleanLabel(engine), outcome: 'error' });
  }

  /** A local model was unloaded from `engine`, for `reason` (a short word: idle, evicted, requested, ...). */
  modelUnloaded(model: string, engine: string, reason: string): void {
    this.unloads.inc({ model: this.models.value(model), engine: cleanLabel(engine), reason: cleanLabel(reason) });
  }

  /** `bytes` more arrived for a download of `kind`. */
  downloadBytes(kind: DownloadKind, bytes: number): void {
    if (Number.isFinite(bytes) && bytes > 0) this.downloads.inc({ kind }, bytes);
  }

  /** Every series in the Prometheus text format, with the content type to answer it with. */
  async render(): Promise<{ contentType: string; text: string }> {
    return { contentType: this.registry.contentType, text: await this.registry.metrics() };
  }

  private secondsSince(startedAt: number): number {
    return Math.max(0, (this.now() - startedAt) / 1000);
  }
}
