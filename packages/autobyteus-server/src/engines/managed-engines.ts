import { readdirSync } from 'node:fs';
import type { LocalRuntime } from 'autobyteus';
import type { Logger } from 'pino';
import type { ServerConfig } from '../config/server-config.js';
import { homeLayout } from '../home-layout.js';
import { isProcessAlive } from '../io/process-liveness.js';
import type { ManagedEngineStates } from './engine-inventory.js';
import type { EngineSupervisor } from './process/engine-supervisor.js';
import { ManagedLocalEngine } from './process/managed-local-engine.js';
import { PidFile } from './process/pid-file.js';
import { type EngineLaunchInputs, type EngineSpec, engineSpecs, specForRuntime } from './specs/engine-spec.js';
import { LLAMA_CPP_SPEC } from './specs/llama-cpp.js';

/** Where a managed engine listens: loopback at its configured port. */
export function managedHostUrl(config: ServerConfig, spec: EngineSpec): string {
  return `http://127.0.0.1:${config.values[spec.keys.port]}`;
}

/** True when the configuration asks the server to run this engine itself. */
export function wantsManaged(config: ServerConfig, spec: EngineSpec): boolean {
  if (config.values.LLM_HOST_MANAGEMENT === 'external') return false;
  return config.values[spec.keys.managed] === true;
}

/** True when the configuration asks the server to run any engine itself. */
export function wantsAnyManaged(config: ServerConfig): boolean {
  return engineSpecs().some((spec) => wantsManaged(config, spec));
}

/** The PID file of the managed engine of `spec` in this home, at its configured port. */
export function managedPidFile(config: ServerConfig, spec: EngineSpec): PidFile {
  return new PidFile(homeLayout(config.home).run, spec.name, Number(config.values[spec.keys.port]));
}

/** A managed engine of `spec` running `inputs` at `hostUrl`, with this home's PID folder and prompt logging. */
export function createManagedEngine(options: {
  config: ServerConfig;
  logger: Logger;
  spec: EngineSpec;
  inputs: EngineLaunchInputs;
  hostUrl: string;
  watchdog?: boolean;
}): ManagedLocalEngine {
  const { config, spec } = options;
  const command = spec.launchCommand(config, options.inputs, options.hostUrl);
  return new ManagedLocalEngine({
    name: spec.name,
    command: command.argv,
    env: command.env,
    hostUrl: options.hostUrl,
    readiness: spec.readiness(),
    ...(spec.apiKey ? { apiKey: spec.apiKey } : {}),
    externalHostsKey: spec.keys.hosts,
    watchdog: options.watchdog ?? true,
    logger: options.logger,
    stateDir: homeLayout(config.home).run,
    logPrompts: config.values.LOG_PROMPTS,
  });
}

/** A managed llama-server for `binary` serving `modelPath` at `hostUrl` (the installer's smoke test). */
export function createLlamaEngine(options: {
  config: ServerConfig;
  logger: Logger;
  binary: string;
  modelPath: string;
  hostUrl: string;
  watchdog?: boolean;
}): ManagedLocalEngine {
  return createManagedEngine({
    ...options,
    spec: LLAMA_CPP_SPEC,
    inputs: { program: options.binary, model: options.modelPath },
  });
}

/** Hosts the factory should probe first because the server runs engines there. */
export type ManagedStartResult = Record<EngineSpec['hostList'], string[]>;

function emptyHosts(): ManagedStartResult {
  return Object.fromEntries(engineSpecs().map((spec) => [spec.hostList, []])) as unknown as ManagedStartResult;
}

/** Process states for `/api/engines` from the supervisor. */
export function supervisorStates(supervisor: EngineSupervisor): ManagedEngineStates {
  return {
    stateOf(runtime: LocalRuntime) {
      const spec = specForRuntime(runtime);
      const status = spec ? supervisor.get(spec.name)?.status() : undefined;
      if (!status) return null;
      return {
        state: status.state,
        pid: status.pid,
        restarts: status.restarts,
        ...(status.lastError ? { lastError: status.lastError } : {}),
      };
    },
  };
}

/** Managed engines this home runs: their hosts, and the keys recorded for them (by host URL). */
export interface RunningManagedEngines {
  hosts: ManagedStartResult;
  keys: Map<string, string>;
}

/**
 * Managed engines this home is running right now (a live PID file `<engine>-<port>.pid`, one per
 * loaded model), so CLI commands such as `chat` and `models list` find the engines `up` or `serve`
 * started without extra configuration, and send them the keys recorded there.
 */
export function runningManagedEngines(config: ServerConfig): RunningManagedEngines {
  const result: RunningManagedEngines = { hosts: emptyHosts(), keys: new Map() };
  const runDir = homeLayout(config.home).run;
  let names: string[] = [];
  try {
    names = readdirSync(runDir);
  } catch {
    return result;
  }
  for (const spec of engineSpecs()) {
    const pattern = new RegExp(`^${spec.name}-(\\d{1,5})\\.pid$`);
    for (const name of names.sort()) {
      const port = pattern.exec(name)?.[1];
      if (!port) continue;
      const record = new PidFile(runDir, spec.name, Number(port)).readRecord();
      if (record === undefined || !isProcessAlive(record.pid)) continue;
      const url = `http://127.0.0.1:${port}`;
      result.hosts[spec.hostList].push(url);
      if (record.apiKey) result.keys.set(url, record.apiKey);
    }
  }
  return result;
}
