import { readFile } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { z } from 'zod';
import { writeFileAtomic } from '../../io/atomic-write.js';
import { ENGINE_NAMES } from '../specs/engine-name.js';
import { isValidVersion, RECEIPT_FILE } from './engine-layout.js';
import { describeIssues, type EngineVersionEntry, versionEntrySchema } from './manifest-schema.js';

/**
 * `install.json`, written into every version folder at install time. It duplicates the manifest
 * entry so that a lost or corrupt manifest can be rebuilt from the folders alone. Its `path` is
 * relative to the version folder when inside it, so the folder can be renamed (staging → final)
 * or the whole home moved.
 */
export const receiptSchema = versionEntrySchema.extend({
  receipt: z.literal(1),
  engine: z.enum(ENGINE_NAMES),
  version: z.string().refine(isValidVersion, 'a valid version name'),
});
export type InstallReceipt = z.infer<typeof receiptSchema>;

export async function writeReceipt(folder: string, receipt: InstallReceipt): Promise<void> {
  await writeFileAtomic(join(folder, RECEIPT_FILE), `${JSON.stringify(receiptSchema.parse(receipt), null, 2)}\n`);
}

/** The receipt of a version folder; throws when it is missing or invalid. */
export async function readReceipt(folder: string): Promise<InstallReceipt> {
  const text = await readFile(join(folder, RECEIPT_FILE), 'utf8');
  const result = receiptSchema.safeParse(JSON.parse(text));
  if (!result.success) throw new Error(`invalid ${RECEIPT_FILE}: ${describeIssues(result.error)}`);
  return result.data;
}

/** The manifest entry a receipt stands for, with its path made absolute against the version folder. */
export function receiptToEntry(folder: string, receipt: InstallReceipt): EngineVersionEntry {
  const { receipt: _r, engine: _e, version: _v, ...entry } = receipt;
  return { ...entry, path: isAbsolute(entry.path) ? entry.path : resolve(folder, entry.path) };
}
