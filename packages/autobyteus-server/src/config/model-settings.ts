/**
 * Per-model settings from config.toml: each table under `[models]` (`[models."SmolLM2-135M-Instruct.Q4_1"]`)
 * configures one model; scalar entries there (`pypi_url`) are ordinary keys of the key table. Validated here
 * so that bad values join the other configuration issues in one `ConfigError`.
 */
import { formatDuration, parseDuration, splitArgs, ValueRejected } from 'autobyteus';
import { z } from 'zod';
import { KEEP_ALIVE_EXPECTED } from './config-keys.js';
import type { ConfigIssue } from './server-config.js';

/** One model's settings; unset optional fields mean "the engine's or the server-wide default". */
export interface ModelSettings {
  /** Other names clients may request the model by (unique across models). */
  alias: string[];
  /** Context size in tokens; 0 = the model's trained context. */
  ctxSize?: number;
  /** Layers offloaded to the GPU: a count (-1 allowed), or "auto" / "all". */
  gpuLayers?: number | 'auto' | 'all';
  /** Requests served at once (llama-server `--parallel`). */
  parallel?: number;
  /** Extra engine arguments for this model, after the server-wide ones. */
  extraArgs: string[];
  /** Overrides AUTOBYTEUS_KEEP_ALIVE for this model, in ms; 0 = unload after each request, -1 = never. */
  keepAliveMs?: number;
  /** Never unloaded to make room for another model. */
  pinned: boolean;
  /** Served as an embeddings model. */
  embeddings: boolean;
}

/** What `parseModelSettings` found: the valid models, and what to refuse or warn about. */
export interface ParsedModelSettings {
  models: Record<string, ModelSettings>;
  issues: ConfigIssue[];
  warnings: string[];
}

const MAX_NAME = 256;
const MAX_ALIAS = 200;
// \p{C}: control, format, surrogate, private-use and unassigned code points, i.e. nothing printable.
const NOT_PRINTABLE = /\p{C}/u;
const CONTROL = /\p{Cc}/u;

const aliasText = z
  .string()
  .min(1)
  .max(MAX_ALIAS)
  .refine((text) => !NOT_PRINTABLE.test(text) && !text.startsWith('/'));

const durationMs = z.union([z.string(), z.number()]).transform((raw, ctx) => {
  try {
    return parseDuration(String(raw));
  } catch (error) {
    if (!(error instanceof ValueRejected)) throw error;
    ctx.addIssue({ code: 'custom', message: error.message });
    return z.NEVER;
  }
});

/** A model's table as written in TOML (snake_case); unknown fields are stripped and warned about. */
const modelTableSchema = z.object({
  alias: z
    .union([aliasText, z.array(aliasText)])
    .transform((value) => [...new Set(typeof value === 'string' ? [value] : value)])
    .optional(),
  ctx_size: z.int().min(0).optional(),
  gpu_layers: z.union([z.int().min(-1), z.enum(['auto', 'all'])]).optional(),
  parallel: z.int().min(1).optional(),
  extra_args: z.union([z.string().transform(splitArgs), z.array(z.string())]).optional(),
  keep_alive: durationMs.optional(),
  pinned: z.boolean().optional(),
  embeddings: z.boolean().optional(),
});

type ModelField = keyof z.input<typeof modelTableSchema>;

/** What each field must be, for the issue's `expected`. */
const EXPECTED: Record<ModelField, string> = {
  alias: `a name or a list of names, each 1 to ${MAX_ALIAS} printable characters, not starting with "/"`,
  ctx_size: "a whole number of tokens >= 0 (0 = the model's trained context)",
  gpu_layers: 'a whole number >= -1, or "auto" or "all"',
  parallel: 'a whole number >= 1',
  extra_args: 'engine arguments as one string or a list of strings',
  keep_alive: KEEP_ALIVE_EXPECTED,
  pinned: 'true or false',
  embeddings: 'true or false',
};
const FIELDS = new Set<string>(Object.keys(EXPECTED));

/** A TOML table (not an array, date or scalar). */
export function isTomlTable(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

function showValue(raw: unknown): string {
  if (Array.isArray(raw)) return raw.map(String).join(',');
  return isTomlTable(raw) ? JSON.stringify(raw) : String(raw);
}

/** `models."name"`, the way config.toml spells the table, for issue keys. */
function modelKey(name: string): string {
  return `models.${JSON.stringify(name)}`;
}

function toModelSettings(table: z.output<typeof modelTableSchema>): ModelSettings {
  const settings: ModelSettings = {
    alias: table.alias ?? [],
    extraArgs: table.extra_args ?? [],
    pinned: table.pinned ?? false,
    embeddings: table.embeddings ?? false,
  };
  if (table.ctx_size !== undefined) settings.ctxSize = table.ctx_size;
  if (table.gpu_layers !== undefined) settings.gpuLayers = table.gpu_layers;
  if (table.parallel !== undefined) settings.parallel = table.parallel;
  if (table.keep_alive !== undefined) settings.keepAliveMs = table.keep_alive;
  return settings;
}

/**
 * Reads the per-model tables of config.toml's `[models]` table (scalar entries are skipped: they are keys
 * of the key table). Bad values become issues keyed like `models."X".ctx_size`; unknown fields are warnings
 * naming the model and field. An alias that another model already uses, or that is another model's name,
 * is an issue. `configPath` only names the file in warnings.
 */
export function parseModelSettings(tomlModelsTable: unknown, configPath: string): ParsedModelSettings {
  const result: ParsedModelSettings = { models: {}, issues: [], warnings: [] };
  if (!isTomlTable(tomlModelsTable)) return result;
  const tables = Object.entries(tomlModelsTable).filter((entry): entry is [string, Record<string, unknown>] =>
    isTomlTable(entry[1]),
  );
  const issue = (key: string, value: string, expected: string) =>
    result.issues.push({ key, value, source: 'config.toml', expected });
  const aliasOwner = new Map<string, string>();

  for (const [name, table] of tables) {
    if (!name || name.length > MAX_NAME || CONTROL.test(name)) {
      issue(modelKey(name), name, `a model name of 1 to ${MAX_NAME} characters without control characters`);
      continue;
    }
    for (const [field, value] of Object.entries(table)) {
      if (FIELDS.has(field)) continue;
      // `[models.a.b]` (unquoted dots) nests table "b" inside model "a": say how to write the name.
      const hint = isTomlTable(value) ? `; quote a model name with dots: [models."${name}.${field}"]` : '';
      result.warnings.push(`unknown field "${field}" in [${modelKey(name)}] in ${configPath} (ignored${hint})`);
    }
    const parsed = modelTableSchema.safeParse(table);
    if (!parsed.success) {
      const fields = new Set(parsed.error.issues.map((i) => String(i.path[0]) as ModelField));
      for (const field of fields) issue(`${modelKey(name)}.${field}`, showValue(table[field]), EXPECTED[field]);
      continue;
    }
    const settings = toModelSettings(parsed.data);
    for (const alias of settings.alias) {
      const owner = aliasOwner.get(alias);
      if (alias !== name && tables.some(([other]) => other === alias)) {
        issue(`${modelKey(name)}.alias`, alias, `an alias that is not another model's name ("${alias}" is a model)`);
      } else if (owner !== undefined && owner !== name) {
        issue(`${modelKey(name)}.alias`, alias, `an alias no other model uses ("${alias}" is an alias of "${owner}")`);
      } else {
        aliasOwner.set(alias, name);
      }
    }
    result.models[name] = settings;
  }
  return result;
}

/** One model's settings as config.toml fields, for `config check`: `alias=a,b ctx_size=4096 … pinned=false`. */
export function formatModelSettings(settings: ModelSettings): string {
  const fields: string[] = [];
  if (settings.alias.length) fields.push(`alias=${settings.alias.join(',')}`);
  if (settings.ctxSize !== undefined) fields.push(`ctx_size=${settings.ctxSize}`);
  if (settings.gpuLayers !== undefined) fields.push(`gpu_layers=${settings.gpuLayers}`);
  if (settings.parallel !== undefined) fields.push(`parallel=${settings.parallel}`);
  if (settings.extraArgs.length) fields.push(`extra_args=${JSON.stringify(settings.extraArgs.join(' '))}`);
  if (settings.keepAliveMs !== undefined) fields.push(`keep_alive=${formatDuration(settings.keepAliveMs)}`);
  fields.push(`pinned=${settings.pinned}`, `embeddings=${settings.embeddings}`);
  return fields.join(' ');
}
