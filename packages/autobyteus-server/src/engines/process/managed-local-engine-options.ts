import type { Logger } from 'pino';
import type { EngineName } from '../specs/engine-name.js';
import type { EngineKeyOptions } from './engine-key.js';
import type { ReadinessProbe } from './readiness-probe.js';
import type { RestartPolicy } from './restart-policy.js';

/** Collaborators and settings of a {@link ManagedLocalEngine}. */
export interface ManagedLocalEngineOptions {
  name: EngineName;
  /** argv of the engine, program first (see `launch-command.ts`). */
  command: readonly string[];
  /** The engine's base URL; its port is the one the engine listens on. */
  hostUrl: string;
  readiness: ReadinessProbe;
  /** Server logger; engine output goes to its child `{ engine: name }`. */
  logger: Logger;
  /** Folder of the PID file `<name>-<port>.pid`, e.g. `$AUTOBYTEUS_HOME/run`. */
  stateDir: string;
  /** Lock the engine with a fresh key per launch (llama-server); none: it takes no key (mlx_lm.server). */
  apiKey?: EngineKeyOptions;
  /** Added to the server's environment for the engine. */
  env?: Record<string, string>;
  /** Working directory of the engine (default: the server's). */
  cwd?: string;
  restart?: Partial<RestartPolicy>;
  /** Time between SIGTERM and SIGKILL when stopping (default 5000). */
  stopGraceMs?: number;
  /** Bound for one start, from launch to ready (default: the readiness probe's). */
  startTimeoutMs?: number;
  /** Log prompt text found in engine output instead of redacting it (`LOG_PROMPTS`). */
  logPrompts?: boolean;
  /** Kill the engine when the server dies without stopping it (default true); see `engine-watchdog.ts`. */
  watchdog?: boolean;
  /** How often an adopted engine (not our child, so no exit event) is checked for life (default 1000). */
  adoptedPollMs?: number;
  /** Setting that lists external hosts of this engine (`LLAMACPP_HOSTS`), named when a stranger holds the port. */
  externalHostsKey?: string;
}
