import { type GetTextOptions, getText } from '../../io/http-get.js';
import { sleep } from '../../io/sleep.js';
import { isPortOpen } from './port-probe.js';

/** What a readiness probe gets from the manager for one start attempt. */
export interface ReadinessContext {
  /** Base URL to probe (loopback form of the engine's host URL). */
  url: string;
  /** Aborted when the attempt is over: start timeout, process exit or `stop()`. */
  signal: AbortSignal;
  /** True when the process was adopted, not spawned: its earlier output was never seen. */
  adopted: boolean;
  /**
   * Resolves with the first output line (already printed or still to come) matching `pattern`;
   * rejects when `signal` aborts.
   */
  waitForLine(pattern: RegExp): Promise<string>;
}

/** Decides when a freshly started engine can take requests. */
export interface ReadinessProbe {
  /** Short description for logs and failure messages. */
  readonly description: string;
  /** Default bound for the whole start (the manager may override it). */
  readonly timeoutMs: number;
  /** Resolves once the engine is ready; rejects only when `context.signal` aborts. */
  waitUntilReady(context: ReadinessContext): Promise<void>;
}

/** One HTTP attempt: the status code, or undefined when the connection failed (not listening yet). */
async function attempt(
  url: string,
  request: Pick<GetTextOptions, 'method' | 'headers' | 'body'>,
  signal: AbortSignal,
  timeoutMs: number,
): Promise<number | undefined> {
  try {
    return (await getText(url, { ...request, signal, timeoutMs, maxRedirects: 0 })).status;
  } catch {
    if (signal.aborted) throw signal.reason;
    return undefined;
  }
}

/** Options of {@link llamaCppReadiness}. */
export interface LlamaCppReadinessOptions {
  /** Poll period; small to keep detection latency low (a /health 503 costs llama-server nothing). */
  intervalMs?: number;
  timeoutMs?: number;
  /** Poll at once when llama-server logs that its model is loaded (default true). */
  wakeOnLogLine?: boolean;
}

/** llama-server's log lines once the model is loaded: they trigger an immediate poll. */
const LLAMA_LOADED_LINE = /llama_server: (?:model loaded|listening on)/;

/**
 * llama-server binds its socket before loading the model and answers 503 on every path until the
 * model is loaded: poll `GET /health` every ~25 ms until it answers 200. (`/health` needs no API key.)
 * Its `model loaded` / `listening on` log line triggers one extra poll at once, so a spawned engine is
 * usually seen ready within a round trip of saying so; the poll alone decides (adopted engines, other
 * log formats).
 */
export function llamaCppReadiness(options: LlamaCppReadinessOptions = {}): ReadinessProbe {
  const intervalMs = options.intervalMs ?? 25;
  return {
    description: `GET /health every ${intervalMs} ms until 200`,
    timeoutMs: options.timeoutMs ?? 120_000,
    async waitUntilReady(context) {
      const health = `${context.url}/health`;
      const never = new Promise<void>(() => undefined);
      let nudge: Promise<void> =
        options.wakeOnLogLine === false
          ? never
          : context.waitForLine(LLAMA_LOADED_LINE).then(
              () => undefined,
              () => never,
            );
      for (;;) {
        if ((await attempt(health, {}, context.signal, 5_000)) === 200) return;
        const nudged = await Promise.race([
          sleep(intervalMs, context.signal).then(() => false),
          nudge.then(() => true),
        ]);
        if (nudged) nudge = never;
      }
    },
  };
}

/** Options of {@link mlxReadiness}. */
export interface MlxReadinessOptions {
  timeoutMs?: number;
  /** Pause between warm-up attempts. */
  intervalMs?: number;
  /** The start-up line mlx_lm.server logs once its socket is bound. */
  startLine?: RegExp;
}

/** The warm-up request: one token, so it costs a model load (first time) plus one decode step. */
export const MLX_WARMUP_BODY = JSON.stringify({ messages: [{ role: 'user', content: 'hi' }], max_tokens: 1 });

/**
 * mlx_lm.server answers `/health` 200 even before its model is loaded (it loads on the first
 * request), so: wait for the start-up line `Starting httpd at HOST on port N...`, then send a
 * one-token `POST /v1/chat/completions` until it answers 200. An adopted engine has no output to
 * wait for: the warm-up alone decides.
 */
export function mlxReadiness(options: MlxReadinessOptions = {}): ReadinessProbe {
  const intervalMs = options.intervalMs ?? 250;
  const startLine = options.startLine ?? /Starting httpd at/;
  return {
    description: `start-up line ${startLine} then a one-token warm-up completion until 200`,
    timeoutMs: options.timeoutMs ?? 300_000,
    async waitUntilReady(context) {
      if (!context.adopted) await context.waitForLine(startLine);
      const init: Pick<GetTextOptions, 'method' | 'headers' | 'body'> = {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: MLX_WARMUP_BODY,
      };
      for (;;) {
        // The first warm-up loads the model: give it the whole start budget.
        if ((await attempt(`${context.url}/v1/chat/completions`, init, context.signal, 3_600_000)) === 200) return;
        await sleep(intervalMs, context.signal);
      }
    },
  };
}

/** Options of {@link tcpReadiness}. */
export interface TcpReadinessOptions {
  /** Pause between connection attempts. */
  intervalMs?: number;
  timeoutMs?: number;
}

/**
 * For an engine that speaks no HTTP (llama.cpp's RPC server): ready once its port accepts a TCP
 * connection. Each probe connection is closed at once without a byte sent, since the RPC server
 * serves one client at a time (it logs the probe as a client that connected and left).
 */
export function tcpReadiness(options: TcpReadinessOptions = {}): ReadinessProbe {
  const intervalMs = options.intervalMs ?? 50;
  return {
    description: `TCP connect every ${intervalMs} ms until the port accepts`,
    timeoutMs: options.timeoutMs ?? 60_000,
    async waitUntilReady(context) {
      const url = new URL(context.url);
      const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
      for (;;) {
        if (await isPortOpen(host, Number(url.port), 1_000)) return;
        context.signal.throwIfAborted();
        await sleep(intervalMs, context.signal);
      }
    },
  };
}
