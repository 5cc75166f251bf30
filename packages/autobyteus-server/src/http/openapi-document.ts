import { z } from 'zod';
import { jobPaths, jobSchemas } from './openapi-jobs.js';
import { samplingParamsShape } from './sampling-params.js';

/** The admin API and gateway described as OpenAPI 3.1, served at `/api/openapi.json`. */
export function openApiDocument(version: string) {
  // The ranges the gateway enforces, from the same zod shape.
  const sampling = z.toJSONSchema(z.object(samplingParamsShape)).properties ?? {};
  const error = {
    type: 'object',
    required: ['error'],
    properties: {
      error: {
        type: 'object',
        required: ['message', 'type'],
        properties: {
          message: { type: 'string' },
          type: { type: 'string' },
          param: { type: ['string', 'null'] },
          code: { type: ['string', 'null'] },
          request_id: { type: 'string', description: 'on server-side failures: the id in the log and x-request-id' },
        },
      },
    },
  };
  const hostHealth = {
    type: 'object',
    required: ['runtime', 'hostUrl', 'status', 'latencyMs', 'lastChecked', 'modelCount'],
    properties: {
      runtime: { type: 'string', enum: ['llama_cpp', 'mlx', 'lmstudio', 'ollama'] },
      hostUrl: { type: 'string' },
      status: { type: 'string', enum: ['up', 'loading', 'unauthorized', 'down'] },
      latencyMs: { type: 'number' },
      error: { type: 'string' },
      warnings: { type: 'array', items: { type: 'string' } },
      lastChecked: { type: 'string', format: 'date-time' },
      modelCount: { type: 'integer' },
    },
  };
  const model = {
    type: 'object',
    required: ['identifier', 'name', 'runtime', 'host', 'availability', 'stale'],
    properties: {
      identifier: { type: 'string', description: 'name:runtime@host:port' },
      name: { type: 'string' },
      runtime: { type: 'string' },
      provider: { type: 'string' },
      host: { type: 'string' },
      availability: { type: 'string', enum: ['served', 'loading', 'unloaded', 'available', 'failed'] },
      stale: { type: 'boolean' },
      config: { type: 'object', additionalProperties: true },
      metadata: { type: 'object', additionalProperties: true },
    },
  };
  const engine = {
    type: 'object',
    properties: {
      runtime: { type: 'string' },
      label: { type: 'string' },
      enabled: { type: 'boolean' },
      managed: { type: 'boolean' },
      process: { type: ['object', 'null'], additionalProperties: true },
      installed: { $ref: '#/components/schemas/InstalledVersions' },
      hosts: {
        type: 'array',
        items: {
          type: 'object',
          properties: {
            url: { type: 'string' },
            status: { type: 'string' },
            version: { type: 'string' },
            models: { type: 'integer' },
          },
        },
      },
    },
  };
  const loadedModel = {
    type: 'object',
    required: [
      'id',
      'engine',
      'state',
      'estimatedBytes',
      'inFlight',
      'pinned',
      'idleSeconds',
      'expiresAt',
      'keepAliveMs',
    ],
    properties: {
      id: { type: 'string' },
      engine: { type: 'string', enum: ['llama-cpp', 'mlx'] },
      state: { type: 'string', enum: ['loaded', 'loading'] },
      pid: { type: 'integer' },
      port: { type: 'integer' },
      url: { type: 'string' },
      estimatedBytes: { type: 'integer', description: 'the memory estimate the scheduler used' },
      rssBytes: { type: 'integer', description: 'resident memory of the engine process (Linux)' },
      contextSize: { type: 'integer' },
      slots: { type: 'integer' },
      inFlight: { type: 'integer' },
      pinned: { type: 'boolean' },
      idleSeconds: { type: 'integer', description: 'since the last request ended (0 while busy)' },
      expiresAt: {
        type: ['string', 'null'],
        format: 'date-time',
        description: 'when it unloads if left idle; null: never (pinned, keep_alive -1, or busy)',
      },
      keepAliveMs: { type: 'integer', description: '-1: never unloaded' },
      loadedAt: { type: 'string', format: 'date-time' },
      loadMs: { type: 'integer' },
    },
  };
  const localModel = {
    type: 'object',
    required: ['id', 'engine', 'sizeBytes', 'names', 'state', 'settings'],
    properties: {
      id: { type: 'string', description: 'GGUF file stem, or MLX repo id' },
      engine: { type: 'string', enum: ['llama-cpp', 'mlx'] },
      file: { type: 'string', description: 'the GGUF file name (llama.cpp models)' },
      sizeBytes: { type: 'integer' },
      names: { type: 'array', items: { type: 'string' }, description: 'every name it answers to, the id first' },
      state: { type: 'string', enum: ['loaded', 'loading', 'available', 'failed'] },
      reason: { type: 'string', description: 'why it failed' },
      settings: { type: 'object', additionalProperties: true, description: 'its [models."…"] table' },
    },
  };
  const json = (schema: unknown) => ({ content: { 'application/json': { schema } } });
  const nameParameter = {
    name: 'name',
    in: 'path',
    required: true,
    description: 'a local model id or any of its names (URL-encoded: an MLX id holds a slash)',
    schema: { type: 'string' },
  };
  const notLocal = { description: 'not a local model', ...json(error) };
  const errors = {
    '400': { description: 'invalid request', ...json(error) },
    '401': { description: 'missing or wrong bearer token', ...json(error) },
  };
  return {
    openapi: '3.1.0',
    info: { title: 'autobyteus-server', version },
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'required when listening beyond loopback' },
      },
      schemas: {
        Error: error,
        HostHealth: hostHealth,
        Model: model,
        Engine: engine,
        LoadedModel: loadedModel,
        LocalModel: localModel,
        ...jobSchemas,
      },
    },
    security: [{ bearer: [] }, {}],
    paths: {
      '/api/health': {
        get: {
          summary: 'Server status and the health of every host',
          responses: {
            '200': json({
              type: 'object',
              properties: {
                status: { type: 'string' },
                version: { type: 'string' },
                uptimeSeconds: { type: 'integer' },
                hosts: { type: 'array', items: { $ref: '#/components/schemas/HostHealth' } },
              },
            }),
            ...errors,
          },
        },
      },
      '/api/models': {
        get: {
          summary: 'Every model on the configured hosts, and the local models the server runs itself',
          responses: {
            '200': json({
              type: 'object',
              properties: {
                models: { type: 'array', items: { $ref: '#/components/schemas/Model' } },
                local: { type: 'array', items: { $ref: '#/components/schemas/LocalModel' } },
              },
            }),
            ...errors,
          },
        },
      },
      '/api/ps': {
        get: {
          summary: 'The local models loaded (or loading) now, with their engine process',
          responses: {
            '200': json({
              type: 'object',
              properties: { models: { type: 'array', items: { $ref: '#/components/schemas/LoadedModel' } } },
            }),
            ...errors,
          },
        },
      },
      '/api/models/{name}/load': {
        post: {
          summary: 'Load a local model now (no request needed); its idle clock starts at once',
          parameters: [nameParameter],
          requestBody: {
            required: false,
            ...json({
              type: 'object',
              properties: {
                keep_alive: {
                  type: ['string', 'number'],
                  description: 'how long it stays loaded when idle: 5m, 1h30m, a number of seconds, -1 = never',
                },
              },
            }),
          },
          responses: {
            '200': json({ type: 'object', properties: { model: { $ref: '#/components/schemas/LoadedModel' } } }),
            ...errors,
            '404': notLocal,
            '500': { description: 'the engine could not load it, or it does not fit in memory', ...json(error) },
            '503': { description: 'its engine is unavailable, or every slot stayed busy', ...json(error) },
          },
        },
      },
      '/api/models/{name}/unload': {
        post: {
          summary: 'Unload a local model now (stops its engine process)',
          parameters: [nameParameter],
          responses: {
            '200': json({
              type: 'object',
              properties: {
                unloaded: { type: 'boolean', description: 'false: it was not loaded' },
                id: { type: 'string' },
              },
            }),
            ...errors,
            '404': notLocal,
          },
        },
      },
      '/api/models/{name}': {
        delete: {
          summary: 'Delete a local model: its GGUF file (and registry.json entry) or its MLX repo in the hub cache',
          parameters: [
            nameParameter,
            {
              name: 'force',
              in: 'query',
              required: false,
              description: 'unload it first when it is loaded',
              schema: { type: 'string', enum: ['true', 'false'] },
            },
          ],
          responses: {
            '200': json({
              type: 'object',
              properties: {
                deleted: { type: 'boolean' },
                id: { type: 'string' },
                kind: { type: 'string', enum: ['file', 'repo'] },
                unloaded: { type: 'boolean' },
              },
            }),
            ...errors,
            '404': notLocal,
            '409': {
              description:
                'loaded and not forced (model_loaded), or outside the folders the server keeps (model_not_removable)',
              ...json(error),
            },
          },
        },
      },
      ...jobPaths,
      '/api/engines': {
        get: {
          summary:
            'Local engines: hosts, managed or external, versions (installed: active, previous) and process state',
          responses: {
            '200': json({
              type: 'object',
              properties: { engines: { type: 'array', items: { $ref: '#/components/schemas/Engine' } } },
            }),
            ...errors,
          },
        },
      },
      '/api/models/reload': {
        post: {
          summary: 'Rediscover models (all runtimes, or one)',
          parameters: [
            {
              name: 'runtime',
              in: 'query',
              required: false,
              schema: { type: 'string', enum: ['llama_cpp', 'mlx', 'lmstudio', 'ollama'] },
            },
          ],
          responses: {
            '200': json({
              type: 'object',
              properties: {
                added: { type: 'array', items: { type: 'string' } },
                removed: { type: 'array', items: { type: 'string' } },
                kept: { type: 'array', items: { type: 'string' } },
                hosts: { type: 'array', items: { $ref: '#/components/schemas/HostHealth' } },
              },
            }),
            ...errors,
          },
        },
      },
      '/metrics': {
        get: {
          summary: 'Prometheus metrics (text format 0.0.4): requests, latency, tokens, queues, hosts, loads, downloads',
          responses: {
            '200': { description: 'metrics', content: { 'text/plain': { schema: { type: 'string' } } } },
            '401': errors['401'],
          },
        },
      },
      '/graphql': {
        post: {
          summary:
            "GraphQL for autobyteus-web's provider screens (docs/graphql.md): availableLlmProvidersWithModels and the audio/image/video listings, reloadLlmModels, reloadLlmProviderModels; GET runs queries only",
          requestBody: {
            required: true,
            ...json({
              type: 'object',
              required: ['query'],
              properties: {
                query: { type: 'string' },
                variables: { type: ['object', 'null'] },
                operationName: { type: ['string', 'null'] },
              },
            }),
          },
          responses: {
            '200': json({
              type: 'object',
              properties: { data: { type: ['object', 'null'] }, errors: { type: 'array' } },
            }),
            '400': { description: 'the document does not validate (it fails as a whole)', ...json({ type: 'object' }) },
            '401': errors['401'],
          },
        },
      },
      '/v1/models': {
        get: {
          summary: 'OpenAI-compatible model list (ids are model identifiers)',
          responses: { '200': json({ type: 'object' }), ...errors },
        },
      },
      '/v1/chat/completions': {
        post: {
          summary: 'OpenAI-compatible chat completions, streamed (SSE) or not, routed on `model`',
          requestBody: {
            required: true,
            ...json({
              type: 'object',
              required: ['model', 'messages'],
              properties: {
                model: { type: 'string' },
                messages: { type: 'array', minItems: 1 },
                stream: { type: 'boolean' },
                ...sampling,
              },
              additionalProperties: true,
            }),
          },
          responses: {
            '200': {
              description: 'a chat.completion, or an event stream of chat.completion.chunk',
              headers: {
                'x-autobyteus-overhead-ms': { schema: { type: 'string' }, description: "the gateway's own time" },
              },
              content: {
                'application/json': { schema: { type: 'object' } },
                'text/event-stream': { schema: { type: 'string' } },
              },
            },
            ...errors,
            '404': { description: 'unknown model', ...json(error) },
            '413': { description: 'body too large (refused from Content-Length before reading)', ...json(error) },
            '502': { description: 'the engine failed', ...json(error) },
            '503': { description: 'the engine is loading', ...json(error) },
            '504': { description: 'the engine timed out', ...json(error) },
          },
        },
      },
    },
  };
}
