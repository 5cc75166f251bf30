import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { type LocalMlxModel, scanHuggingFaceCache } from 'autobyteus';
import { type GgufHeaderInfo, readGgufHeader } from './gguf-header.js';
import { modelPaths } from './model-paths.js';
import { readModelRegistry } from './model-registry-file.js';

/** A GGUF file under `<home>/models/gguf`. */
export interface LocalGgufModel {
  /** Registered name (catalog name or file stem). */
  name: string;
  fileName: string;
  path: string;
  size: number;
  /** True when registry.json knows the file (pulled by us, not copied in by hand). */
  registered: boolean;
  sha256?: string;
  ref?: string;
  source?: string;
  pulledAt?: string;
  /** Header metadata; absent when the header could not be read (see `error`). */
  gguf?: GgufHeaderInfo;
  error?: string;
}

/** Everything pulled locally, per runtime. */
export interface LocalModels {
  gguf: LocalGgufModel[];
  /** MLX-loadable repos in the Hugging Face cache (the library's `scanHuggingFaceCache`). */
  mlx: LocalMlxModel[];
}

/**
 * Lists local models: every `*.gguf` under `<home>/models/gguf` (header read from the file; name, sha256 and
 * source from registry.json when registered) and the MLX repos of the Hugging Face cache. Partial downloads
 * are not listed.
 */
export async function listLocalModels(options: {
  home: string;
  hfCacheDir: string;
  /** Header reader (default: {@link readGgufHeader}); a server listing often passes a cached one. */
  readHeader?: (path: string) => Promise<GgufHeaderInfo>;
}): Promise<LocalModels> {
  const readHeader = options.readHeader ?? readGgufHeader;
  const paths = modelPaths(options.home);
  const [registry, names, mlx] = await Promise.all([
    readModelRegistry(paths.registry),
    readdir(paths.gguf).catch(() => [] as string[]),
    scanHuggingFaceCache(options.hfCacheDir),
  ]);
  const byFile = new Map(registry.map((entry) => [entry.fileName, entry]));
  const gguf = await Promise.all(
    names
      .filter((name) => name.toLowerCase().endsWith('.gguf'))
      .sort()
      .map(async (fileName): Promise<LocalGgufModel> => {
        const path = join(paths.gguf, fileName);
        const entry = byFile.get(fileName);
        const model: LocalGgufModel = {
          name: entry?.name ?? fileName.replace(/\.gguf$/i, ''),
          fileName,
          path,
          size: (await stat(path)).size,
          registered: entry !== undefined,
          sha256: entry?.sha256,
          ref: entry?.ref,
          source: entry?.source,
          pulledAt: entry?.pulledAt,
        };
        try {
          model.gguf = await readHeader(path);
        } catch (error) {
          model.error = `unreadable GGUF header: ${(error as Error).message}`;
        }
        return model;
      }),
  );
  return { gguf, mlx };
}
