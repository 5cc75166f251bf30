// The OpenAPI description of pulls, engine upgrades / rollbacks and jobs (pull-routes.ts, engine-routes.ts);
// merged into openapi-document.ts.

const json = (schema: unknown) => ({ content: { 'application/json': { schema } } });
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const error = (description: string) => ({ description, ...json(ref('Error')) });
const common = { '400': error('invalid request'), '401': error('missing or wrong bearer token') };
const idParameter = { name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } };
const engineParameter = {
  name: 'engine',
  in: 'path',
  required: true,
  description: 'llama-cpp (also llama.cpp, llama_cpp) or mlx',
  schema: { type: 'string' },
};
const started = {
  description: 'started, or joined the job already running for the same model / engine (`joined: true`)',
  headers: { location: { schema: { type: 'string' }, description: 'the job' } },
  ...json({
    type: 'object',
    required: ['id', 'joined', 'job'],
    properties: { id: { type: 'string' }, joined: { type: 'boolean' }, job: ref('Job') },
  }),
};

/** Component schemas: Job, InstalledVersions. */
export const jobSchemas = {
  Job: {
    type: 'object',
    required: ['id', 'kind', 'subject', 'state', 'progress', 'joined', 'createdAt'],
    properties: {
      id: { type: 'string', format: 'uuid' },
      kind: { type: 'string', enum: ['pull', 'engine-upgrade'] },
      subject: { type: 'string', description: 'the model reference (canonical form) or the engine' },
      state: { type: 'string', enum: ['queued', 'running', 'done', 'failed', 'cancelled'] },
      progress: {
        type: 'object',
        properties: {
          phase: {
            type: 'string',
            description: 'resolving, downloading, verifying, extracting, registering, installing, build, done',
          },
          message: { type: 'string' },
          file: { type: 'string' },
          bytesDone: { type: 'integer' },
          bytesTotal: { type: 'integer' },
          bytesPerSec: { type: 'integer' },
          fraction: { type: 'number', minimum: 0, maximum: 1 },
        },
      },
      joined: { type: 'integer', description: 'later requests that joined this job' },
      createdAt: { type: 'string', format: 'date-time' },
      startedAt: { type: 'string', format: 'date-time' },
      finishedAt: { type: 'string', format: 'date-time' },
      error: {
        type: 'object',
        required: ['message', 'code', 'status'],
        description:
          'why it failed: the status a synchronous call would answer (404 model_not_found, 507 insufficient_storage, 409 version_installed; 502 when the site failed: network_unreachable (no connection, no answer), upstream_unavailable (it answered HTTP errors), download_interrupted (it kept closing the connection), download_corrupt or, for a sha256, checksum_mismatch (not the expected file: not kept); …)',
        properties: { message: { type: 'string' }, code: { type: 'string' }, status: { type: 'integer' } },
      },
      result: { type: 'object', additionalProperties: true, description: 'the pulled model / installed version' },
    },
  },
  InstalledVersions: {
    type: 'object',
    required: ['engine', 'active', 'previous', 'versions', 'program'],
    properties: {
      engine: { type: 'string', enum: ['llama-cpp', 'mlx'] },
      active: { type: ['string', 'null'] },
      previous: { type: ['string', 'null'], description: 'what rollback makes active' },
      versions: {
        type: 'array',
        items: {
          type: 'object',
          properties: {
            version: { type: 'string' },
            source: { type: 'string', enum: ['release', 'source', 'prebundled', 'venv'] },
            installedAt: { type: 'string', format: 'date-time' },
            active: { type: 'boolean' },
            previous: { type: 'boolean' },
          },
        },
      },
      program: {
        type: 'string',
        enum: ['installed', 'configured', 'none'],
        description: 'configured: a program named in the configuration runs instead of the active version',
      },
    },
  },
};

const jobAnswer = { '200': json({ type: 'object', properties: { job: ref('Job') } }) };
const jobList = (key: string) => ({
  '200': json({ type: 'object', properties: { [key]: { type: 'array', items: ref('Job') } } }),
});
const cancel = {
  summary: 'Cancel a queued or running job (a running engine upgrade cannot be cancelled)',
  parameters: [idParameter],
  responses: {
    ...jobAnswer,
    ...common,
    '404': error('no such job'),
    '409': error('already ended, or not cancellable'),
  },
};

/** The paths. */
export const jobPaths = {
  '/api/models/pull': {
    post: {
      summary: 'Pull a model into the server home as a background job (at most 2 at once; more wait queued)',
      requestBody: {
        required: true,
        ...json({
          type: 'object',
          required: ['model'],
          additionalProperties: false,
          properties: {
            model: {
              type: 'string',
              maxLength: 1024,
              description: 'a catalog name, hf:org/repo[@rev] (MLX) or hf:org/repo[@rev]/file.gguf; URLs: CLI only',
            },
          },
        }),
      },
      responses: {
        '202': started,
        ...common,
        '404': error('not in the catalog (GET /api/models/catalog lists it)'),
      },
    },
  },
  '/api/models/catalog': {
    get: { summary: 'The catalog names `POST /api/models/pull` knows', responses: { '200': json({}), ...common } },
  },
  '/api/pulls': { get: { summary: 'Pull jobs, newest first', responses: { ...jobList('pulls'), ...common } } },
  '/api/pulls/{id}': {
    get: {
      summary: 'One pull job',
      parameters: [idParameter],
      responses: { ...jobAnswer, '404': error('no such job') },
    },
    delete: cancel,
  },
  '/api/jobs': {
    get: {
      summary: 'Every job (pulls and engine upgrades), newest first',
      parameters: [{ name: 'kind', in: 'query', schema: { type: 'string', enum: ['pull', 'engine-upgrade'] } }],
      responses: { ...jobList('jobs'), ...common },
    },
  },
  '/api/jobs/{id}': {
    get: { summary: 'One job', parameters: [idParameter], responses: { ...jobAnswer, '404': error('no such job') } },
    delete: cancel,
  },
  '/api/jobs/{id}/events': {
    get: {
      summary: 'Server-sent events: `event: job` with the Job now and on each change (≤ 4/s) until it ends',
      parameters: [idParameter],
      responses: {
        '200': { description: 'the stream', content: { 'text/event-stream': { schema: { type: 'string' } } } },
        '404': error('no such job'),
      },
    },
  },
  '/api/engines/{engine}/upgrade': {
    post: {
      summary: 'Install a newer version beside the active one as a job; activated only after its smoke test',
      parameters: [engineParameter],
      requestBody: {
        required: false,
        ...json({
          type: 'object',
          additionalProperties: false,
          properties: {
            tag: { type: 'string', description: 'llama.cpp release tag (default LLAMACPP_RELEASE_TAG)' },
            method: { type: 'string', enum: ['release', 'source', 'auto'], default: 'release' },
          },
        }),
      },
      responses: {
        '202': started,
        ...common,
        '404': error('unknown engine'),
        '409': error('the configuration names the program (engine_pinned); MLX models loaded (engine_in_use)'),
      },
    },
  },
  '/api/engines/{engine}/rollback': {
    post: {
      summary: 'Make the previous version active again (instant)',
      parameters: [engineParameter],
      responses: {
        '200': json({
          type: 'object',
          properties: {
            engine: { type: 'string' },
            from: { type: ['string', 'null'] },
            to: { type: 'string' },
            inUse: { type: 'boolean', description: "true: this server's next loads start it" },
            installed: ref('InstalledVersions'),
          },
        }),
        ...common,
        '404': error('unknown engine'),
        '409': error('no previous version, an upgrade is running, or the program is pinned'),
      },
    },
  },
};
