import { LOCAL_RUNTIMES, type LocalRuntime, parseRuntime } from 'autobyteus';
import { ENGINE_SPECS } from '../engines/specs/engine-spec.js';
import { printable } from '../http/untrusted-text.js';
import type { GraphqlDeps, RuntimeKindArgs } from './graphql-deps.js';
import { clientError, providerNotFound } from './graphql-errors.js';
import { runtimeOfLocalProviderId } from './local-providers.js';
import { runtimesFor } from './runtime-kind.js';

/**
 * The two reload mutations. Both answer a sentence, as autobyteus-server-ts does; autobyteus-web
 * treats an answer containing "successfully" as success and shows any other as the error. A
 * provider id that names nothing is a GraphQL error instead (the request was wrong, not the host).
 */
export function reloadResolvers(deps: GraphqlDeps) {
  return {
    reloadLlmModels: (_root: unknown, args: RuntimeKindArgs) => reloadAll(deps, args),
    reloadLlmProviderModels: (_root: unknown, args: RuntimeKindArgs & { providerId: string }) =>
      reloadProvider(deps, args.providerId, args),
  };
}

/** `reloadLlmModels`: the factory's reinitialize for the selected runtimes (as `POST /api/models/reload`). */
async function reloadAll(deps: GraphqlDeps, args: RuntimeKindArgs): Promise<string> {
  const runtimes = runtimesFor(args.runtimeKind);
  if (runtimes.length === 0) {
    return `Reloaded 0 models successfully: this server serves no models for runtime kind "${printable(String(args.runtimeKind))}".`;
  }
  const result = await deps.factory.reinitialize(runtimes.length === 1 ? { runtime: runtimes[0] } : {});
  const hosts = result.hosts.filter((h) => runtimes.includes(h.runtime));
  const up = hosts.filter((h) => h.status === 'up').length;
  const hostModels = deps.factory.listAvailableModels().filter((m) => runtimes.includes(m.runtime as LocalRuntime));
  const local = deps.models
    ? (await deps.models.list()).filter((entry) => runtimes.includes(ENGINE_SPECS[entry.model.engine].runtime)).length
    : 0;
  const localText = deps.models ? ` and ${local} models of this server's own` : '';
  return (
    `Models reloaded successfully: ${hostModels.length} models on ${hosts.length} hosts (${up} up)${localText}; ` +
    `${result.added.length} added, ${result.removed.length} removed.`
  );
}

/**
 * `reloadLlmProviderModels`: a host provider re-probes its runtime (the library refreshes a runtime's
 * hosts together) and reports that host; a `local:` provider reports the models on disk, which every
 * listing reads fresh anyway.
 */
async function reloadProvider(deps: GraphqlDeps, rawId: string, args: RuntimeKindArgs): Promise<string> {
  const providerId = rawId.trim();
  const shownId = printable(providerId);
  const selected = runtimesFor(args.runtimeKind);
  const localRuntime = runtimeOfLocalProviderId(providerId);
  if (localRuntime !== undefined) {
    const spec = Object.values(ENGINE_SPECS).find((s) => s.runtime === localRuntime);
    if (!spec || !deps.models) throw providerNotFound(providerId);
    requireSelected(selected, spec.runtime, shownId, args.runtimeKind);
    const count = (await deps.models.list()).filter((entry) => entry.model.engine === spec.name).length;
    return `Reloaded ${count} models for provider ${shownId} successfully.`;
  }
  const at = providerId.indexOf('@');
  const runtime = at > 0 ? parseRuntime(providerId.slice(0, at)) : undefined;
  const hostUrl = providerId.slice(at + 1);
  const isHost = (h: { runtime: string; hostUrl: string }) => h.runtime === runtime && h.hostUrl === hostUrl;
  if (!runtime || !(LOCAL_RUNTIMES as readonly string[]).includes(runtime)) throw providerNotFound(providerId);
  if (!deps.factory.getHostHealth().some(isHost)) throw providerNotFound(providerId);
  requireSelected(selected, runtime as LocalRuntime, shownId, args.runtimeKind);
  const result = await deps.factory.reinitialize({ runtime: runtime as LocalRuntime });
  const health = result.hosts.find(isHost);
  if (!health) {
    return `Error reloading models for provider ${shownId}: the host is no longer among the configured hosts (its dns+ entry resolves elsewhere now).`;
  }
  if (health.status !== 'up') {
    const why = health.error ? `: ${health.error}` : '';
    return printable(`Error reloading models for provider ${shownId}: host ${health.status}${why}`, 400);
  }
  const count = deps.factory.listAvailableModels().filter(isHost).length;
  return `Reloaded ${count} models for provider ${shownId} successfully.`;
}

function requireSelected(
  selected: readonly LocalRuntime[],
  runtime: LocalRuntime,
  shownId: string,
  runtimeKind: string | null | undefined,
): void {
  if (selected.includes(runtime)) return;
  throw clientError(
    `provider ${shownId} is not available for runtime kind "${printable(String(runtimeKind))}"`,
    'BAD_USER_INPUT',
  );
}
