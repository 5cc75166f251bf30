import { respond } from '../../../autobyteus/test/support/stub-engine.js';

// What the translated-endpoint e2e tests share: the tool they offer, an MLX-shaped model list and
// the config.toml with only MLX hosts.

export const WEATHER_TOOL = {
  name: 'get_weather',
  description: 'Get the current weather for a city.',
  input_schema: {
    type: 'object' as const,
    properties: { city: { type: 'string' } },
    required: ['city'],
  },
};

/** mlx_lm.server's `/v1/models` answer for one model. */
export const mlxModels = (id: string) =>
  respond(200, 'application/json', JSON.stringify({ object: 'list', data: [{ id, object: 'model', created: 1 }] }));

/** A config.toml with `hosts` as the MLX hosts and no other engine. */
export const configFor = (hosts: string[]) => `
[server]
port = 0
[mlx]
hosts = [${hosts.map((h) => `"${h}"`).join(', ')}]
[llama_cpp]
hosts = ""
[lmstudio]
hosts = ""
[ollama]
hosts = ""
`;
