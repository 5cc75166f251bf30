import { join } from 'node:path';
import type { Command } from 'commander';
import { EngineManifestStore } from '../engines/manifest/engine-manifest-store.js';
import { EngineSupervisor } from '../engines/process/engine-supervisor.js';
import { rpcServerCommand } from '../engines/process/launch-command.js';
import { ManagedLocalEngine } from '../engines/process/managed-local-engine.js';
import { tcpReadiness } from '../engines/process/readiness-probe.js';
import { NO_RPC_SERVER, resolveRpcServer } from '../engines/specs/rpc-server.js';
import { homeLayout } from '../home-layout.js';
import { cliContext, type GlobalOptions } from './cli-context.js';

interface WorkerOptions {
  port?: string;
  host: string;
}

const LOOPBACK = /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|::1|localhost)$/;

/**
 * The address the worker binds: `host` when it is loopback, or when `allowRemote`; refused
 * otherwise, because llama.cpp's RPC protocol has neither authentication nor encryption.
 * `localhost` becomes 127.0.0.1 (rpc-server takes addresses, not names).
 */
export function workerBindHost(host: string, allowRemote: boolean): string {
  const bare = host.replace(/^\[(.*)\]$/, '$1');
  if (LOOPBACK.test(bare)) return bare === 'localhost' ? '127.0.0.1' : bare;
  if (!allowRemote) {
    throw new Error(
      `refusing to bind the RPC worker to ${host}: llama.cpp's RPC protocol has no authentication or encryption, ` +
        'so anyone who can reach the port can use this machine; set ALLOW_REMOTE=true to allow it on a trusted ' +
        'private network only, or bind 127.0.0.1',
    );
  }
  return bare;
}

/**
 * `worker`: runs llama.cpp's RPC server (the ggml-rpc-server/rpc-server built beside llama-server)
 * in the foreground, so another machine's managed llama-server can spread a model over this one's
 * devices (LLAMACPP_RPC_SERVERS there). Supervised like a managed engine: readiness by TCP connect,
 * crash restarts, killed with the CLI (watchdog), its PID file in `<home>/run/workers/` (apart from
 * the engines `serve` runs). Its output is printed as it comes; Ctrl-C stops it.
 */
export function registerWorkerCommand(program: Command): void {
  program
    .command('worker')
    .description(
      "lend this machine to another server's llama-server: run llama.cpp's RPC server until interrupted " +
        '(insecure beyond loopback: no authentication, no encryption)',
    )
    .option('--port <port>', 'port to listen on (AUTOBYTEUS_WORKER_PORT; default 50052)')
    .option('--host <host>', 'address to bind; anything but loopback needs ALLOW_REMOTE=true', '127.0.0.1')
    .action(async (options: WorkerOptions, command: Command) => {
      const { config, logger } = cliContext(
        command.optsWithGlobals<GlobalOptions>(),
        options.port !== undefined ? { AUTOBYTEUS_WORKER_PORT: options.port } : undefined,
      );
      const port = config.values.AUTOBYTEUS_WORKER_PORT;
      const host = workerBindHost(options.host, config.values.ALLOW_REMOTE);
      const binary = await resolveRpcServer(config, EngineManifestStore.forHome(config.home));
      if (!binary) throw new Error(NO_RPC_SERVER);
      if (!LOOPBACK.test(host)) {
        console.error(
          `warning: the RPC worker listens on ${host}:${port} with no authentication or encryption: anyone who ` +
            'can reach this port can run work on this machine and see the model data sent to it. Keep it on a ' +
            'trusted private network (firewall the port).',
        );
      }
      const engine = new ManagedLocalEngine({
        // The RPC server is part of the llama-cpp engine install (SIGILL hints name its rebuild).
        name: 'llama-cpp',
        command: rpcServerCommand({ binary, host, port }).argv,
        hostUrl: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
        readiness: tcpReadiness(),
        logger,
        stateDir: join(homeLayout(config.home).run, 'workers'),
      });
      engine.onOutput((line) => (line.stream === 'stdout' ? process.stdout : process.stderr).write(`${line.text}\n`));
      const supervisor = new EngineSupervisor();
      supervisor.add(engine);
      supervisor.installExitHandlers(process);
      const status = await engine.start().catch((error: Error) => {
        throw new Error(`the RPC worker did not start: ${error.message}`);
      });
      console.error(`rpc-server ready on ${host}:${port} (pid ${status.pid}); Ctrl-C stops it`);
      engine.onStateChange((next) => {
        if (next.state === 'failed') {
          console.error(`autobyteus-server: the RPC worker failed: ${next.lastError ?? 'unknown reason'}`);
          process.exit(1);
        }
      });
    });
}
