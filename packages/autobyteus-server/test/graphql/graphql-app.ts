import { LLMFactory, silentLogger } from 'autobyteus';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { toLibrarySettings } from '../../src/config/library-settings.js';
import { loadServerConfig } from '../../src/config/server-config.js';
import { buildApp } from '../../src/http/server-app.js';
import { tempHome } from '../support/server-process.js';

/** The server's HTTP app on 127.0.0.1 (any port) with a factory over the hosts in `configToml`. */
export interface RunningApp {
  url: string;
  factory: LLMFactory;
  close(): Promise<void>;
}

/**
 * Builds the real app (`buildApp`, every route and hook) from a config.toml, runs discovery once
 * and listens on a free loopback port. No ModelServer: these tests cover the configured hosts.
 */
export async function startApp(options: {
  configToml: string;
  env?: Record<string, string>;
  apiToken?: string;
}): Promise<RunningApp> {
  const home = tempHome(`${options.configToml}\n[lmstudio]\nhosts = ""\n[ollama]\nhosts = ""\n`);
  const config = loadServerConfig({ env: { AUTOBYTEUS_HOME: home, ...options.env }, cwd: home });
  const factory = new LLMFactory({ settings: toLibrarySettings(config), logger: silentLogger });
  await factory.ensureInitialized();
  const app: FastifyInstance = buildApp({
    factory,
    config,
    logger: pino({ level: 'silent' }),
    managed: { stateOf: () => null },
    ...(options.apiToken ? { apiToken: options.apiToken } : {}),
    version: 'test',
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    factory,
    close: async () => {
      await app.close();
      await factory.close();
    },
  };
}
