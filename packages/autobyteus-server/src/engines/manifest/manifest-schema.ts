import { z } from 'zod';
import { ENGINE_NAMES } from '../specs/engine-name.js';
import { isValidVersion } from './engine-layout.js';

export const INSTALL_SOURCES = ['release', 'source', 'prebundled', 'venv'] as const;
export type InstallSource = (typeof INSTALL_SOURCES)[number];

const sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'a lowercase hex sha256');
const versionName = z.string().refine(isValidVersion, 'a valid version name');

/** One installed version of an engine. */
export const versionEntrySchema = z.object({
  source: z.enum(INSTALL_SOURCES),
  /** Absolute path of what runs: the llama-server binary, or the Python of an MLX venv. */
  path: z.string().min(1),
  checksum: sha256.optional(),
  buildFlags: z.array(z.string()).optional(),
  installedAt: z.iso.datetime(),
  /** Where it came from: a URL, an archive or folder path, a source spec. */
  origin: z.string().optional(),
});
export type EngineVersionEntry = z.infer<typeof versionEntrySchema>;

/** The installed versions of one engine and which of them runs. */
export const engineRecordSchema = z
  .object({
    active: versionName.nullable(),
    /** The version that was active before `active`: the target of `rollback`. */
    previous: versionName.nullable(),
    versions: z.record(versionName, versionEntrySchema),
  })
  .superRefine((record, ctx) => {
    for (const key of ['active', 'previous'] as const) {
      const version = record[key];
      if (version !== null && !(version in record.versions)) {
        ctx.addIssue({ code: 'custom', path: [key], message: `${key} version ${version} is not among the versions` });
      }
    }
  });
export type EngineRecord = z.infer<typeof engineRecordSchema>;

export const MANIFEST_VERSION = 1;

const emptyRecord = (): EngineRecord => ({ active: null, previous: null, versions: {} });

/** `engines/manifest.json`. */
export const manifestSchema = z.object({
  version: z.literal(MANIFEST_VERSION),
  engines: z.object(
    Object.fromEntries(ENGINE_NAMES.map((name) => [name, engineRecordSchema.default(emptyRecord)])) as Record<
      (typeof ENGINE_NAMES)[number],
      z.ZodDefault<typeof engineRecordSchema>
    >,
  ),
});
export type EngineManifest = z.infer<typeof manifestSchema>;

export function emptyManifest(): EngineManifest {
  return {
    version: MANIFEST_VERSION,
    engines: Object.fromEntries(ENGINE_NAMES.map((name) => [name, emptyRecord()])) as EngineManifest['engines'],
  };
}

/** One line naming each problem of a failed validation: `engines.mlx.active: ...; version: ...`. */
export function describeIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; ');
}
