import { LOCAL_RUNTIMES, type LocalRuntime, parseRuntime } from 'autobyteus';

/**
 * Which runtimes a `runtimeKind` argument selects. autobyteus-web sends its agent runtime kind
 * (`autobyteus` by default; `codex_app_server` and `claude_agent_sdk` run models of their own);
 * our models are all the `autobyteus` kind's. A runtime name of ours (`llama_cpp`, `mlx`, ...)
 * narrows to that runtime. Any other kind selects nothing: an empty list, which is what this
 * server has for it (an error would break the web app's screen for a runtime it simply lacks).
 */
export function runtimesFor(runtimeKind: string | null | undefined): readonly LocalRuntime[] {
  const kind = runtimeKind?.trim().toLowerCase() ?? '';
  if (kind === '' || kind === 'autobyteus') return LOCAL_RUNTIMES;
  const runtime = parseRuntime(kind);
  return runtime && (LOCAL_RUNTIMES as readonly string[]).includes(runtime) ? [runtime as LocalRuntime] : [];
}
