import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import type { BackgroundJobs, JobKind, JobView } from '../app/background-jobs.js';
import { type ModelPulls, PullRequestError } from '../app/model-pulls.js';
import { MODEL_CATALOG } from '../models/catalog.js';
import { openAIError } from './openai-error.js';
import { printable } from './untrusted-text.js';

export interface PullRouteDeps {
  jobs: BackgroundJobs;
  pulls: ModelPulls;
}

/** A model reference is short; anything longer is not one. */
const pullBody = z.object({ model: z.string().min(1).max(1024) }).strict();
const jobsQuery = z.object({ kind: z.enum(['pull', 'engine-upgrade']).optional() });
/** Job ids are UUIDs; anything else is unknown without a lookup that echoes it. */
const JOB_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
type IdParams = { id: string };

/** Gap between two progress events of one job on the event stream (progress arrives per chunk). */
const EVENT_INTERVAL_MS = 250;

function jobNotFound(reply: FastifyReply, id: string) {
  return reply
    .code(404)
    .send(
      openAIError(`no job "${printable(id, 60)}" (GET /api/jobs lists them)`, 'invalid_request_error', 'job_not_found'),
    );
}

function findJob(jobs: BackgroundJobs, id: string, kind?: JobKind): JobView | undefined {
  const job = JOB_ID.test(id) ? jobs.get(id) : undefined;
  return job && (kind === undefined || job.kind === kind) ? job : undefined;
}

function isFinal(job: JobView): boolean {
  return job.state === 'done' || job.state === 'failed' || job.state === 'cancelled';
}

/**
 * `POST /api/models/pull` (202 + the job; a pull of the same model already running is joined),
 * `GET /api/pulls[/:id]`, `DELETE /api/pulls/:id`, `GET /api/models/catalog`, and the jobs of every
 * kind: `GET /api/jobs[?kind=]`, `GET /api/jobs/:id`, `GET /api/jobs/:id/events` (SSE: the job on
 * each change until it ends), `DELETE /api/jobs/:id`. Bodies are checked with zod; the model
 * reference goes through the CLI's parser before anything runs.
 */
export function registerPullRoutes(app: FastifyInstance, deps: PullRouteDeps): void {
  const { jobs, pulls } = deps;

  app.get('/api/models/catalog', async () => ({
    models: MODEL_CATALOG.map((entry) => ({
      name: entry.name,
      runtime: entry.runtime,
      description: entry.description,
      sizeBytes: entry.sizeBytes,
      sizeApproximate: entry.sizeApproximate,
      quantization: entry.quantization,
    })),
  }));

  app.post('/api/models/pull', async (request, reply) => {
    const body = pullBody.safeParse(request.body);
    if (!body.success) {
      return reply
        .code(400)
        .send(
          openAIError(
            'invalid request: the body must be {"model": "<catalog name | hf:org/repo | hf:org/repo/file.gguf>"}',
            'invalid_request_error',
            'invalid_request',
            'model',
          ),
        );
    }
    try {
      const { job, joined } = pulls.start(body.data.model);
      return reply.code(202).header('location', `/api/pulls/${job.id}`).send({ id: job.id, joined, job });
    } catch (error) {
      if (!(error instanceof PullRequestError)) throw error;
      return reply
        .code(error.status)
        .send(openAIError(printable(error.message, 600), 'invalid_request_error', error.code, 'model'));
    }
  });

  app.get('/api/pulls', async () => ({ pulls: jobs.list('pull') }));

  app.get('/api/jobs', async (request, reply) => {
    const query = jobsQuery.safeParse(request.query);
    if (!query.success) {
      return reply
        .code(400)
        .send(openAIError('kind must be pull or engine-upgrade', 'invalid_request_error', 'invalid_request', 'kind'));
    }
    return { jobs: jobs.list(query.data.kind) };
  });

  for (const [prefix, kind] of [
    ['/api/pulls', 'pull'],
    ['/api/jobs', undefined],
  ] as const) {
    app.get<{ Params: IdParams }>(`${prefix}/:id`, async (request, reply) => {
      const job = findJob(jobs, request.params.id, kind);
      return job ? { job } : jobNotFound(reply, request.params.id);
    });

    app.delete<{ Params: IdParams }>(`${prefix}/:id`, async (request, reply) => {
      const job = findJob(jobs, request.params.id, kind);
      if (!job) return jobNotFound(reply, request.params.id);
      if (isFinal(job)) {
        return reply
          .code(409)
          .send(openAIError(`the job already ended (${job.state})`, 'invalid_request_error', 'job_finished'));
      }
      if (job.kind === 'engine-upgrade' && job.state === 'running') {
        return reply
          .code(409)
          .send(
            openAIError(
              'a running engine upgrade cannot be cancelled (the installer activates a version only after its smoke test; wait for it to end)',
              'invalid_request_error',
              'not_cancellable',
            ),
          );
      }
      return { job: jobs.cancel(job.id) };
    });
  }

  app.get<{ Params: IdParams }>('/api/jobs/:id/events', async (request, reply) => {
    const first = findJob(jobs, request.params.id);
    if (!first) return jobNotFound(reply, request.params.id);
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      'x-request-id': request.id,
    });
    let timer: NodeJS.Timeout | undefined;
    let pending: JobView | undefined;
    const send = (job: JobView) => {
      res.write(`event: job\ndata: ${JSON.stringify(job)}\n\n`);
      if (isFinal(job)) stop();
    };
    const flush = () => {
      timer = undefined;
      if (pending) send(pending);
      pending = undefined;
    };
    const unsubscribe = jobs.subscribe((job) => {
      if (job.id !== first.id) return;
      // Final states go out at once; progress at most every EVENT_INTERVAL_MS.
      if (isFinal(job)) {
        clearTimeout(timer);
        pending = undefined;
        send(job);
        return;
      }
      pending = job;
      timer ??= setTimeout(flush, EVENT_INTERVAL_MS);
    });
    function stop() {
      clearTimeout(timer);
      unsubscribe();
      res.end();
    }
    res.on('close', () => {
      clearTimeout(timer);
      unsubscribe();
    });
    send(first);
  });
}
