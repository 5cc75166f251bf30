import type { EngineLogLevel } from './log-record-format.js';

/** Levels engine output is relayed at. */
export type RelayLevel = 'debug' | 'warn';

/**
 * The server log level for one line an engine printed, given the level of the engine's own record.
 * Engine output is chatter to someone reading the server's log (llama-server prints a CORS warning on
 * every start, mlx_lm.server a "not for production" one, about settings the server chose), so all of
 * it goes at debug, except the records the engine itself marks as errors, which go at warn. What a
 * load did is summed up at info by {@link import('./load-progress.js').LoadProgress}; a failed start
 * carries the last lines in its reason.
 */
export function relayLevel(engineLevel: EngineLogLevel): RelayLevel {
  return engineLevel === 'error' ? 'warn' : 'debug';
}
