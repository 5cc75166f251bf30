import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { writeFileAtomic } from '../io/atomic-write.js';
import { acquireFileLock } from '../io/file-lock.js';

const ggufInfoSchema = z.object({
  architecture: z.string().optional(),
  name: z.string().optional(),
  contextLength: z.number().optional(),
  fileType: z.number().optional(),
  fileTypeName: z.string().optional(),
  parameterCount: z.number().optional(),
  sizeLabel: z.string().optional(),
  hasChatTemplate: z.boolean(),
});

const registeredModelSchema = z.object({
  /** Catalog name, or the file name without `.gguf`. */
  name: z.string(),
  runtime: z.literal('llama_cpp'),
  fileName: z.string(),
  path: z.string(),
  size: z.number().int().nonnegative(),
  sha256: z.string(),
  /** The reference that was pulled (`hf:…`, URL or catalog name). */
  ref: z.string(),
  /** The source that delivered the file. */
  source: z.string(),
  pulledAt: z.string(),
  gguf: ggufInfoSchema,
});

const registryFileSchema = z.object({ version: z.literal(1), models: z.array(registeredModelSchema) });

/** One pulled GGUF model as `registry.json` records it. */
export type RegisteredModel = z.infer<typeof registeredModelSchema>;

/** `registry.json` exists but is not a registry we can read. */
export class ModelRegistryError extends Error {
  constructor(
    readonly path: string,
    reason: string,
  ) {
    super(`${path} is not a valid model registry: ${reason}`);
    this.name = 'ModelRegistryError';
  }
}

/** The models recorded in `registry.json`; empty when the file does not exist. */
export async function readModelRegistry(path: string): Promise<RegisteredModel[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ModelRegistryError(path, (error as Error).message);
  }
  const parsed = registryFileSchema.safeParse(json);
  if (!parsed.success) throw new ModelRegistryError(path, z.prettifyError(parsed.error));
  return parsed.data.models;
}

/**
 * Adds or replaces (by file name) one model in `registry.json`. The read-modify-write runs under
 * `registry.json.lock` and the file is replaced atomically, so concurrent pulls never lose an entry.
 */
export async function registerModel(path: string, model: RegisteredModel): Promise<void> {
  const lock = await acquireFileLock(`${path}.lock`, { staleMs: 10_000 });
  try {
    const models = (await readModelRegistry(path)).filter((entry) => entry.fileName !== model.fileName);
    models.push(registeredModelSchema.parse(model));
    models.sort((a, b) => a.name.localeCompare(b.name));
    await writeFileAtomic(path, `${JSON.stringify({ version: 1, models }, null, 2)}\n`);
  } finally {
    await lock.release();
  }
}

/**
 * Removes the entry of `fileName` from `registry.json` (`models rm`), under the same lock and atomic
 * replace as {@link registerModel}. True when there was one; a missing registry is left missing.
 */
export async function unregisterModel(path: string, fileName: string): Promise<boolean> {
  const lock = await acquireFileLock(`${path}.lock`, { staleMs: 10_000 });
  try {
    const before = await readModelRegistry(path);
    const models = before.filter((entry) => entry.fileName !== fileName);
    if (models.length === before.length) return false;
    await writeFileAtomic(path, `${JSON.stringify({ version: 1, models }, null, 2)}\n`);
    return true;
  } finally {
    await lock.release();
  }
}
