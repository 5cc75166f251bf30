import { type RunningEngine, startLlamaServer, startMlxServer } from '../../../autobyteus/test/support/real-engines.js';
import { type ServerProcess, startServerProcess, tempHome } from './server-process.js';

/** The chat model's name on the real llama-server. */
export const CHAT_MODEL = 'SmolLM2-135M-Instruct';
/** The name the llama-server instance started with `--embeddings` serves under. */
export const EMBED_MODEL = 'smol-embed';

/** The gateway the client tests talk to, with the real engines behind it. */
export interface ClientGateway {
  server: ServerProcess;
  /** The MLX model's id as `/v1/models` lists it. */
  mlxModel: string;
  /** Headers for a direct request to the gateway (the token, when there is one). */
  headers: Record<string, string>;
  stop(): Promise<void>;
}

/**
 * Starts a real llama-server for chat, one with `--embeddings` (under `EMBED_MODEL`) and a real
 * mlx_lm.server, then `autobyteus-server serve` in front of all three, with `token` when given.
 * The same set-up every "real client through the gateway" test uses.
 */
export async function startClientGateway(token?: string): Promise<ClientGateway> {
  const engines: RunningEngine[] = await Promise.all([
    startLlamaServer(),
    startLlamaServer({ extraArgs: ['--embeddings', '--pooling', 'mean'], alias: EMBED_MODEL }),
    startMlxServer(),
  ]);
  const [chat, embed, mlx] = engines as [RunningEngine, RunningEngine, RunningEngine];
  const stopEngines = () => Promise.all(engines.map((engine) => engine.stop())).then(() => undefined);
  try {
    const server = await startServerProcess(
      tempHome(`
[server]
port = 0
[llama_cpp]
hosts = ["${chat.url}", "${embed.url}"]
[mlx]
hosts = ["${mlx.url}"]
[lmstudio]
hosts = ""
[ollama]
hosts = ""
`),
      [],
      token ? { AUTOBYTEUS_API_TOKEN: token } : {},
      'serve',
      120_000,
    );
    const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
    const listed = await fetch(`${server.url}/v1/models`, { headers });
    const models = ((await listed.json()) as { data: Array<{ id: string; owned_by: string }> }).data;
    const mlxModel = models.find((m) => m.owned_by === 'mlx')?.id ?? '';
    return {
      server,
      mlxModel,
      headers,
      stop: async () => {
        await server.stop();
        await stopEngines();
      },
    };
  } catch (error) {
    await stopEngines();
    throw error;
  }
}
