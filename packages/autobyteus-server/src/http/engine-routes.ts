import type { LLMFactory } from 'autobyteus';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import { EngineRequestError, type EngineUpgrades } from '../app/engine-upgrades.js';
import type { ServerConfig } from '../config/server-config.js';
import { type EngineView, listEngines, type ManagedEngineStates } from '../engines/engine-inventory.js';
import type { EngineManifestStore } from '../engines/manifest/engine-manifest-store.js';
import { ENGINE_NAMES, type EngineName, parseEngineName } from '../engines/specs/engine-name.js';
import { ENGINE_SPECS, specForRuntime } from '../engines/specs/engine-spec.js';
import { openAIError } from './openai-error.js';
import { printable } from './untrusted-text.js';

export interface EngineRouteDeps {
  factory: LLMFactory;
  config: ServerConfig;
  managed: ManagedEngineStates;
  store: EngineManifestStore;
  upgrades: EngineUpgrades;
}

/** The versions of a managed engine installed in this server's home (no paths). */
export interface InstalledVersionsView {
  /** The CLI's name of the engine (`llama-cpp`, `mlx`). */
  engine: EngineName;
  active: string | null;
  previous: string | null;
  versions: Array<{ version: string; source: string; installedAt: string; active: boolean; previous: boolean }>;
  /** `configured`: the configuration names the program (it runs instead of the active version); `installed`; `none`. */
  program: 'configured' | 'installed' | 'none';
}

const upgradeBody = z
  .object({
    tag: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'a release tag such as b6000 or latest')
      .optional(),
    method: z.enum(['release', 'source', 'auto']).optional(),
  })
  .strict()
  .nullish();
type EngineParams = { engine: string };

function unknownEngine(reply: FastifyReply, name: string) {
  return reply
    .code(404)
    .send(
      openAIError(
        `unknown engine "${printable(name, 60)}" (use ${ENGINE_NAMES.join(' or ')})`,
        'invalid_request_error',
        'unknown_engine',
        'engine',
      ),
    );
}

function refused(reply: FastifyReply, error: unknown) {
  if (!(error instanceof EngineRequestError)) throw error;
  return reply.code(error.status).send(openAIError(error.message, 'invalid_request_error', error.code));
}

async function installedVersions(
  store: EngineManifestStore,
  config: ServerConfig,
  engine: EngineName,
): Promise<InstalledVersionsView> {
  const record = (await store.read()).engines[engine];
  const program = await ENGINE_SPECS[engine].resolveProgram(config, store);
  const activePath = record.active ? record.versions[record.active]?.path : undefined;
  return {
    engine,
    active: record.active,
    previous: record.previous,
    versions: Object.entries(record.versions)
      .map(([version, entry]) => ({
        version,
        source: entry.source,
        installedAt: entry.installedAt,
        active: version === record.active,
        previous: version === record.previous,
      }))
      .sort((a, b) => b.installedAt.localeCompare(a.installedAt)),
    program: !program ? 'none' : program === activePath ? 'installed' : 'configured',
  };
}

/**
 * The installed versions of every managed engine as last read. `GET /api/engines` answers from it and
 * reads again behind the answer, so the handler never waits on the disk: a client that half-closes
 * its side after the request (allowed in HTTP/1.1) would otherwise see the connection closed before
 * the answer. Changes made through the API are read in before their call or job ends; changes made by
 * another process (the CLI) show from the next request on.
 */
class InstalledVersionsCache {
  private views: InstalledVersionsView[] | undefined;
  private reading: Promise<InstalledVersionsView[]> | undefined;

  constructor(
    private readonly store: EngineManifestStore,
    private readonly config: ServerConfig,
  ) {}

  /** Reads the manifest again (one read at a time; callers during a read share it). */
  refresh(): Promise<InstalledVersionsView[]> {
    this.reading ??= Promise.all(ENGINE_NAMES.map((name) => installedVersions(this.store, this.config, name)))
      .then((views) => {
        this.views = views;
        return views;
      })
      .finally(() => {
        this.reading = undefined;
      });
    return this.reading;
  }

  /** The views as last read (reading first only when never read), then a fresh read behind the answer. */
  async current(onError: (error: unknown) => void): Promise<InstalledVersionsView[]> {
    const known = this.views;
    const fresh = this.refresh();
    if (known) {
      fresh.catch(onError);
      return known;
    }
    return fresh;
  }
}

/**
 * `GET /api/engines` (every runtime with its hosts, process and, for the engines the server installs,
 * the installed versions and which one is active), `POST /api/engines/:engine/upgrade` (202 + a job,
 * see `app/engine-upgrades.ts`) and `POST /api/engines/:engine/rollback` (instant). The engine name is
 * matched against the engine table, never used as a path.
 */
export function registerEngineRoutes(app: FastifyInstance, deps: EngineRouteDeps): void {
  const installed = new InstalledVersionsCache(deps.store, deps.config);
  deps.upgrades.onChange(async () => {
    await installed.refresh();
  });
  app.addHook('onReady', async () => {
    await installed.refresh().catch((error) => app.log.warn({ err: error }, 'reading the engines manifest failed'));
  });

  app.get('/api/engines', async (request) => {
    const views = await installed.current((error) =>
      request.log.warn({ err: error }, 'reading the engines manifest failed'),
    );
    const engines: Array<EngineView & { installed?: InstalledVersionsView }> = listEngines(
      deps.factory,
      deps.config,
      deps.managed,
    );
    for (const view of engines) {
      const spec = specForRuntime(view.runtime);
      const found = spec ? views.find((v) => v.engine === spec.name) : undefined;
      if (found) view.installed = found;
    }
    return { engines };
  });

  app.post<{ Params: EngineParams }>('/api/engines/:engine/upgrade', async (request, reply) => {
    const engine = parseEngineName(request.params.engine);
    if (!engine) return unknownEngine(reply, request.params.engine);
    const body = upgradeBody.safeParse(request.body);
    if (!body.success) {
      return reply
        .code(400)
        .send(
          openAIError(
            `invalid request: ${printable(body.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '), 300)}`,
            'invalid_request_error',
            'invalid_request',
          ),
        );
    }
    try {
      const { job, joined } = await deps.upgrades.upgrade(engine, body.data ?? {});
      return reply.code(202).header('location', `/api/jobs/${job.id}`).send({ id: job.id, joined, job });
    } catch (error) {
      return refused(reply, error);
    }
  });

  app.post<{ Params: EngineParams }>('/api/engines/:engine/rollback', async (request, reply) => {
    const engine = parseEngineName(request.params.engine);
    if (!engine) return unknownEngine(reply, request.params.engine);
    try {
      const result = await deps.upgrades.rollback(engine);
      return { engine, ...result, installed: await installedVersions(deps.store, deps.config, engine) };
    } catch (error) {
      return refused(reply, error);
    }
  });
}
