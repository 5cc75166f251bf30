import { basename } from 'node:path';
import { redactUrl } from '../io/redact-url.js';
import type { FetchedFile } from './fetch-gguf-file.js';
import { type GgufHeaderInfo, readGgufHeader } from './gguf-header.js';
import { type RegisteredModel, registerModel } from './model-registry-file.js';
import { type GgufPullResult, type PullContext, PullError, type SourceAttempt } from './pull-types.js';

/**
 * Reads the GGUF header of a fetched file and records it in registry.json. The reference and source are
 * stored redacted: a URL's credentials or query values never reach the file.
 */
export async function registerGguf(
  ctx: PullContext,
  fetched: FetchedFile,
  name: string,
  ref: string,
  attempts: SourceAttempt[],
): Promise<GgufPullResult> {
  ctx.emit({ phase: 'inspect', file: basename(fetched.path) });
  let gguf: GgufHeaderInfo;
  try {
    gguf = await readGgufHeader(fetched.path);
  } catch (error) {
    throw new PullError(`${fetched.path} is not a readable GGUF file: ${(error as Error).message}`, attempts, {
      cause: error,
    });
  }
  const registered: RegisteredModel = {
    name,
    runtime: 'llama_cpp',
    fileName: basename(fetched.path),
    path: fetched.path,
    size: fetched.size,
    sha256: fetched.sha256,
    ref: redactUrl(ref),
    source: redactUrl(fetched.source),
    pulledAt: new Date().toISOString(),
    gguf,
  };
  ctx.emit({ phase: 'register', file: registered.fileName });
  await registerModel(ctx.paths.registry, registered);
  return {
    kind: 'gguf',
    runtime: 'llama_cpp',
    name,
    path: fetched.path,
    sha256: fetched.sha256,
    size: fetched.size,
    reused: fetched.reused,
    source: registered.source,
    attempts,
    gguf,
    registered,
  };
}
