import { afterEach, describe, expect, it } from 'vitest';
import { freePort, llamaServerBinary, smolLmGguf } from '../../../autobyteus/test/support/real-engines.js';
import { type ServerProcess, startServerProcess, tempHome } from '../support/server-process.js';

let server: ServerProcess | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

describe('the managed engine is listed once', () => {
  it('a configured host that is the managed llama-server is left out, with a warning; the model is listed once', async () => {
    const enginePort = await freePort();
    const own = `http://127.0.0.1:${enginePort}`;
    server = await startServerProcess(
      tempHome('[lmstudio]\nhosts = ""\n[ollama]\nhosts = ""\n'),
      [],
      {
        AUTOBYTEUS_PORT: '0',
        LLAMACPP_MANAGED: 'true',
        LLAMACPP_BINARY_PATH: llamaServerBinary(),
        LLAMACPP_DEFAULT_MODEL: smolLmGguf(),
        LLAMACPP_MANAGED_PORT: String(enginePort),
        LLAMACPP_HOSTS: own,
      },
      'serve',
      120_000,
    );
    const models = (await (await fetch(`${server.url}/v1/models`)).json()).data as Array<{ id: string }>;
    const smol = models.filter((m) => m.id.startsWith('SmolLM2-135M-Instruct'));
    expect(smol.map((m) => m.id)).toEqual(['SmolLM2-135M-Instruct.Q4_1']);
    await server.waitForOutput(
      `LLAMACPP_HOSTS: ${own} is in this server's managed engine ports ${enginePort}-${enginePort + 199}`,
    );
  }, 150_000);
});
