import { bindHost, portOf } from './engine-address.js';

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
}

const MANAGED_FLAGS = ['--host', '--port'];

function rejectManagedFlags(args: readonly string[], what: string): void {
  for (const arg of args) {
    const flag = arg.split('=')[0] ?? arg;
    if (MANAGED_FLAGS.includes(flag)) {
      throw new Error(`${what} must not contain ${flag}: the engine's host and port come from its host URL`);
    }
  }
}

/**
 * `llama-server -m MODEL --host HOST --port PORT ...extraArgs`, with the API key (if any) in the
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
      ...extra,
    ],
    env: options.apiKey ? { LLAMA_API_KEY: options.apiKey } : {},
  };
}

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
    argv: [options.python, '-m', 'mlx_lm.server', '--model', options.model, '--host', host, '--port', port],
    env,
  };
}
