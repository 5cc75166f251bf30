import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseSettingValue, type SettingValue, ValueRejected } from 'autobyteus';
import { parse as parseDotenv } from 'dotenv';
import { parse as parseToml } from 'smol-toml';
import {
  BOOTSTRAP_ENV,
  CONFIG_KEYS,
  type ConfigEnvName,
  type ConfigKey,
  type ConfigValueType,
  OWNED_ENV_PREFIXES,
} from './config-keys.js';
import { isTomlTable, type ModelSettings, parseModelSettings } from './model-settings.js';
import { VALUE_CHECKS } from './value-checks.js';

/** Where a value came from, highest precedence first. */
export type ValueSource = 'command line' | 'environment' | '.env' | 'config.toml' | 'default';

type KeyOf<E extends ConfigEnvName> = Extract<(typeof CONFIG_KEYS)[number], { env: E }>;
type TypeOf<T extends ConfigValueType> = T extends 'boolean'
  ? boolean
  : T extends 'int' | 'duration' | 'bytes'
    ? number
    : T extends 'hosts' | 'args'
      ? string[]
      : string;
/** The typed value of each key; keys without a default may be undefined. */
export type ConfigValues = {
  [E in ConfigEnvName]: TypeOf<KeyOf<E>['type']> | (KeyOf<E> extends { default: string } ? never : undefined);
};

export interface ConfigEntry {
  key: ConfigKey;
  value: SettingValue | undefined;
  source: ValueSource | undefined;
}

export interface ConfigIssue {
  key: string;
  value: string;
  source: ValueSource;
  expected: string;
}

/** Configuration that cannot be used; lists every bad value with key, value, source and expectation. */
export class ConfigError extends Error {
  constructor(readonly issues: ConfigIssue[]) {
    super(
      `Invalid configuration:\n${issues
        .map((i) => `  ${i.key}=${JSON.stringify(i.value)} (from ${i.source}): expected ${i.expected}`)
        .join('\n')}`,
    );
    this.name = 'ConfigError';
  }
}

export interface LoadConfigOptions {
  env?: NodeJS.ProcessEnv;
  /** config.toml path (`--config`); else AUTOBYTEUS_CONFIG, else $AUTOBYTEUS_HOME/config.toml. */
  configPath?: string;
  /** Folder whose `.env` is read (default: the current directory). */
  cwd?: string;
  /** Values from command-line flags, highest precedence. */
  overrides?: Partial<Record<ConfigEnvName, string>>;
}

/** The validated configuration with the origin of each value. */
export interface ServerConfig {
  values: ConfigValues;
  entries: ConfigEntry[];
  home: string;
  configPath: string;
  configFileFound: boolean;
  dotenvPath: string;
  dotenvFound: boolean;
  warnings: string[];
  /** Per-model settings from config.toml's `[models."name"]` tables, by model name (empty when none). */
  models: Record<string, ModelSettings>;
}

function tomlLookup(doc: Record<string, unknown>, path: string): unknown {
  const [section, name] = path.split('.') as [string, string];
  const table = doc[section];
  return table && typeof table === 'object' ? (table as Record<string, unknown>)[name] : undefined;
}

/**
 * Loads configuration with this precedence: command-line flags, then the process environment,
 * then `.env`, then config.toml, then defaults. Every value is validated; all problems are reported
 * together in one `ConfigError`. Unknown keys are warnings, not errors.
 */
export function loadServerConfig(options: LoadConfigOptions = {}): ServerConfig {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const dotenvPath = join(cwd, '.env');
  const dotenvFound = existsSync(dotenvPath);
  const dotenv = dotenvFound ? parseDotenv(readFileSync(dotenvPath)) : {};
  const home = resolve(env.AUTOBYTEUS_HOME || dotenv.AUTOBYTEUS_HOME || join(homedir(), '.autobyteus'));
  const configPath = resolve(
    options.configPath || env.AUTOBYTEUS_CONFIG || dotenv.AUTOBYTEUS_CONFIG || join(home, 'config.toml'),
  );
  const configFileFound = existsSync(configPath);
  const warnings: string[] = [];
  const issues: ConfigIssue[] = [];

  let toml: Record<string, unknown> = {};
  if (configFileFound) {
    try {
      toml = parseToml(readFileSync(configPath, 'utf8')) as Record<string, unknown>;
    } catch (error) {
      throw new ConfigError([
        {
          key: configPath,
          value: '(file)',
          source: 'config.toml',
          expected: `valid TOML (${(error as Error).message.split('\n')[0]})`,
        },
      ]);
    }
  } else if (options.configPath) {
    throw new ConfigError([
      { key: '--config', value: options.configPath, source: 'command line', expected: 'an existing file' },
    ]);
  }

  const known = new Set<string>(CONFIG_KEYS.map((k) => k.env));
  for (const source of [env, dotenv]) {
    for (const name of Object.keys(source)) {
      if (OWNED_ENV_PREFIXES.some((p) => name.startsWith(p)) && !known.has(name) && !BOOTSTRAP_ENV.includes(name)) {
        warnings.push(`unknown setting ${name} ${source === env ? 'in the environment' : 'in .env'} (ignored)`);
      }
    }
  }
  const knownToml = new Set<string>(CONFIG_KEYS.map((k) => k.toml));
  for (const [section, table] of Object.entries(toml)) {
    if (!table || typeof table !== 'object' || Array.isArray(table)) {
      warnings.push(`unknown top-level key "${section}" in ${configPath} (ignored)`);
      continue;
    }
    for (const [name, value] of Object.entries(table)) {
      // A table under [models] is one model's settings, checked by parseModelSettings.
      if (section === 'models' && isTomlTable(value)) continue;
      if (!knownToml.has(`${section}.${name}`))
        warnings.push(`unknown key "${section}.${name}" in ${configPath} (ignored)`);
    }
  }

  const entries: ConfigEntry[] = CONFIG_KEYS.map((key) => {
    const candidates: Array<[ValueSource, unknown]> = [
      ['command line', options.overrides?.[key.env]],
      ['environment', env[key.env]],
      ['.env', dotenv[key.env]],
      ['config.toml', tomlLookup(toml, key.toml)],
      ['default', 'default' in key ? key.default : undefined],
    ];
    const found = candidates.find(([, raw]) => raw !== undefined);
    if (!found) return { key, value: undefined, source: undefined };
    const [source, raw] = found;
    try {
      const value = parseSettingValue(key, raw);
      const check = VALUE_CHECKS[key.env];
      return { key, value: check ? check(value) : value, source };
    } catch (error) {
      if (!(error instanceof ValueRejected)) throw error;
      issues.push({
        key: source === 'config.toml' ? key.toml : key.env,
        value: Array.isArray(raw) ? raw.join(',') : String(raw),
        source,
        expected: error.message,
      });
      return { key, value: undefined, source };
    }
  });
  const perModel = parseModelSettings(toml.models, configPath);
  issues.push(...perModel.issues);
  warnings.push(...perModel.warnings);
  if (issues.length) throw new ConfigError(issues);

  const values = Object.fromEntries(entries.map((e) => [e.key.env, e.value])) as ConfigValues;
  const models = perModel.models;
  return { values, entries, home, configPath, configFileFound, dotenvPath, dotenvFound, warnings, models };
}

/** A secret shown as set/unset only. */
export function maskSecret(value: string): string {
  return `•••••• (${value.length} chars)`;
}
