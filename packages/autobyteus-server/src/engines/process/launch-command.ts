import { bindHost, portOf } from './engine-address.js';

/** The environment variable llama-server reads its API key from (`--api-key`). */
export const LLAMA_API_KEY_ENV = 'LLAMA_API_KEY';

/** What to run: the argv (program first) and environment additions for it. */
export interface LaunchCommand {
  argv: string[];
  /** Added to the server's environment for the engine process (secrets go here, never in argv). */
  env: Record<string, string>;
}

/** Options of {@link llamaServerCommand}. */
export interface LlamaServerCommandOptions {
  /** Path of the `llama-server` binary. */
  binary: string;
  /** GGUF file to serve (`-m`). */
  modelPath: string;
  /** The engine's host URL; its port becomes `--port`. */
  hostUrl: string;
  /** Bind the URL's host instead of 127.0.0.1. */
  allowRemote: boolean;
  /** Extra llama-server arguments (`LLAMACPP_EXTRA_ARGS`); `--host`/`--port` are the manager's. */
  extraArgs?: readonly string[];
  /** Key llama-server demands from clients; passed as `LLAMA_API_KEY` so it does not show in `ps`. */
  apiKey?: string;
  /** Name the engine reports for the model (`--alias`), so its own listings match ours. */
  alias?: string;
  /** Per-model settings from `[models."…"]` in config.toml. */
  model?: LlamaModelOptions;
  /**
   * llama.cpp RPC workers (`host:port`, LLAMACPP_RPC_SERVERS) the model is spread over: one
   * `--rpc a,b` flag; none when empty.
   */
  rpcServers?: readonly string[];
}

/** What one model's `[models."…"]` table changes in its llama-server's argv. */
export interface LlamaModelOptions {
  ctxSize?: number;
  gpuLayers?: number | 'auto' | 'all';
  parallel?: number;
  embeddings?: boolean;
  /** The model's own `extra_args`, after the global ones (so they win). */
  extraArgs?: readonly string[];
}

/** llama-server accepts `all` for every layer; `auto` is its own default, so no flag. */
function gpuLayerArgs(value: LlamaModelOptions['gpuLayers']): string[] {
  if (value === undefined || value === 'auto') return [];
  return ['--n-gpu-layers', value === 'all' ? '999' : String(value)];
}

/** The argv part that comes from a model's settings. */
function modelArgs(model: LlamaModelOptions | undefined): string[] {
  if (!model) return [];
  const extra = model.extraArgs ?? [];
  rejectManagedFlags(extra, "a model's extra_args", [...MANAGED_FLAGS, '-m', '--model']);
  return [
    ...(model.ctxSize !== undefined ? ['--ctx-size', String(model.ctxSize)] : []),
    ...gpuLayerArgs(model.gpuLayers),
    ...(model.parallel !== undefined ? ['--parallel', String(model.parallel)] : []),
    ...(model.embeddings ? ['--embeddings'] : []),
    ...extra,
  ];
}

const MANAGED_FLAGS = ['--host', '--port', '--api-key', '--api-key-file'];

function rejectManagedFlags(args: readonly string[], what: string, managed: readonly string[] = MANAGED_FLAGS): void {
  for (const arg of args) {
    const flag = arg.split('=')[0] ?? arg;
    if (!managed.includes(flag)) continue;
    const why = flag.startsWith('--api-key')
      ? 'the server gives each managed engine a secret key of its own'
      : "the engine's host and port come from its host URL";
    throw new Error(`${what} must not contain ${flag}: ${why}`);
  }
}

/**
 * `llama-server -m MODEL --host HOST --port PORT [--alias A] [--rpc W1,W2] ...extraArgs ...model args`, with the API key (if any) in the
 * environment variable llama-server reads (`LLAMA_API_KEY`).
 */
export function llamaServerCommand(options: LlamaServerCommandOptions): LaunchCommand {
  const extra = options.extraArgs ?? [];
  rejectManagedFlags(extra, 'LLAMACPP_EXTRA_ARGS');
  return {
    argv: [
      options.binary,
      '-m',
      options.modelPath,
      '--host',
      bindHost(options.hostUrl, options.allowRemote),
      '--port',
      String(portOf(options.hostUrl)),
      ...(options.alias ? ['--alias', options.alias] : []),
      ...(options.rpcServers?.length ? ['--rpc', options.rpcServers.join(',')] : []),
      ...extra,
      ...modelArgs(options.model),
    ],
    env: options.apiKey ? { [LLAMA_API_KEY_ENV]: options.apiKey } : {},
  };
}

/**
 * `rpc-server --host HOST --port PORT`: llama.cpp's RPC server exposing this machine's devices
 * (`autobyteus-server worker`). The host is bound as given: the caller decides whether it may be
 * more than loopback.
 */
export function rpcServerCommand(options: { binary: string; host: string; port: number }): LaunchCommand {
  return { argv: [options.binary, '--host', options.host, '--port', String(options.port)], env: {} };
}

/** What the managed mlx_lm.server allows as CORS origin: not an origin, so no browser ever matches it. */
export const MLX_NO_ORIGIN = 'none';

/** Options of {@link mlxServerCommand}. */
export interface MlxServerCommandOptions {
  /** Python with mlx-lm installed. */
  python: string;
  /** Hugging Face repo id or local model folder (`--model`). */
  model: string;
  hostUrl: string;
  allowRemote: boolean;
  /**
   * User-supplied command (`MLX_LAUNCH_COMMAND`, an argv array) used instead of the built-in one,
   * with `{port}`, `{host}` and `{model}` replaced in every argument.
   */
  launchCommand?: readonly string[];
}

/**
 * `python -m mlx_lm.server --model MODEL --host HOST --port PORT`, or the user's launch command with
 * its placeholders filled in. Python output is made unbuffered so log lines arrive as they are written.
 */
export function mlxServerCommand(options: MlxServerCommandOptions): LaunchCommand {
  const host = bindHost(options.hostUrl, options.allowRemote);
  const port = String(portOf(options.hostUrl));
  const env = { PYTHONUNBUFFERED: '1' };
  if (options.launchCommand && options.launchCommand.length > 0) {
    const fill = (arg: string) =>
      arg.replaceAll('{port}', port).replaceAll('{host}', host).replaceAll('{model}', options.model);
    return { argv: options.launchCommand.map(fill), env };
  }
  return {
    // mlx_lm.server has no API key option and sends `Access-Control-Allow-Origin: *` by default: allowing
    // an origin no browser sends keeps web pages from reading its answers (see docs/ports.md).
    argv: [
      options.python,
      '-m',
      'mlx_lm.server',
      '--model',
      options.model,
      '--host',
      host,
      '--port',
      port,
      '--allowed-origins',
      MLX_NO_ORIGIN,
    ],
    env,
  };
}
