/** Managed local engine processes: launch commands, readiness, supervision, prompt redaction. */

export { isProcessAlive } from '../../io/process-liveness.js';
export type { EngineName } from '../specs/engine-name.js';
export { bindHost, portOf, probeUrl } from './engine-address.js';
export type {
  EngineOutputLine,
  EngineState,
  EngineStatus,
  OutputListener,
  StateChangeListener,
} from './engine-status.js';
export { EngineSupervisor, type ExitHandlerOptions } from './engine-supervisor.js';
export { EngineWatchdog } from './engine-watchdog.js';
export {
  type LaunchCommand,
  type LlamaServerCommandOptions,
  llamaServerCommand,
  type MlxServerCommandOptions,
  mlxServerCommand,
  rpcServerCommand,
} from './launch-command.js';
export { ManagedLocalEngine } from './managed-local-engine.js';
export type { ManagedLocalEngineOptions } from './managed-local-engine-options.js';
export { PidFile } from './pid-file.js';
export { PromptRedactor, REDACTED } from './prompt-redactor.js';
export {
  type LlamaCppReadinessOptions,
  llamaCppReadiness,
  type MlxReadinessOptions,
  mlxReadiness,
  type ReadinessContext,
  type ReadinessProbe,
  type TcpReadinessOptions,
  tcpReadiness,
} from './readiness-probe.js';
export { DEFAULT_RESTART_POLICY, type RestartPolicy, restartDelayMs } from './restart-policy.js';
