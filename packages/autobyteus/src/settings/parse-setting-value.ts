import { homedir } from 'node:os';
import { parseByteSize } from './byte-size.js';
import { parseDnsServers } from './dns-servers.js';
import { parseDuration } from './duration.js';
import { formatHostKeys, parseHostKeys } from './host-keys.js';
import { normalizeHostUrl } from './host-url.js';
import type { SettingDefinition } from './setting-definitions.js';
import { ValueRejected } from './value-rejected.js';

export { ValueRejected };

export type SettingValue = string | number | boolean | string[];

const TRUE = ['true', '1', 'yes', 'on'];
const FALSE = ['false', '0', 'no', 'off'];

/** Splits a command line on whitespace, honouring single and double quotes. */
export function splitArgs(text: string): string[] {
  const args: string[] = [];
  const pattern = /"([^"]*)"|'([^']*)'|(\S+)/g;
  for (const match of text.matchAll(pattern)) args.push(match[1] ?? match[2] ?? match[3] ?? '');
  return args;
}

function expandHome(path: string): string {
  return path === '~' || path.startsWith('~/') ? homedir() + path.slice(1) : path;
}

function expectedInt(def: SettingDefinition): string {
  if (def.expected) return def.expected;
  const min = def.min ?? 0;
  const what = def.unit ? `a whole number of ${def.unit}` : 'a whole number';
  return def.max !== undefined ? `${what} from ${min} to ${def.max}` : `${what} >= ${min}`;
}

/**
 * Parses one value from the environment (always text) or config.toml (text or native TOML types)
 * into the setting's type, inside its bounds. Throws `ValueRejected` saying what was expected.
 */
export function parseSettingValue(def: SettingDefinition, raw: unknown): SettingValue {
  switch (def.type) {
    case 'boolean': {
      if (typeof raw === 'boolean') return raw;
      const text = String(raw).trim().toLowerCase();
      if (TRUE.includes(text)) return true;
      if (FALSE.includes(text)) return false;
      throw new ValueRejected('true or false');
    }
    case 'int': {
      const n = typeof raw === 'number' ? raw : /^\s*\d+\s*$/.test(String(raw)) ? Number(raw) : Number.NaN;
      const inBounds = n >= (def.min ?? 0) && (def.max === undefined || n <= def.max);
      if (!Number.isSafeInteger(n) || !inBounds) throw new ValueRejected(expectedInt(def));
      return n;
    }
    case 'hosts': {
      const list = Array.isArray(raw) ? raw.map(String) : String(raw).split(',');
      const hosts: string[] = [];
      for (const entry of list.map((s) => s.trim()).filter(Boolean)) {
        try {
          hosts.push(normalizeHostUrl(entry));
        } catch (error) {
          throw new ValueRejected(
            `comma-separated http(s) or dns+http(s) URLs ("${entry}": ${(error as Error).message})`,
          );
        }
      }
      return hosts;
    }
    case 'host-keys':
      return formatHostKeys(parseHostKeys(raw));
    case 'dns-servers':
      return parseDnsServers(raw).join(',');
    case 'args':
      return Array.isArray(raw) ? raw.map(String) : splitArgs(String(raw));
    case 'enum': {
      const text = String(raw).trim().toLowerCase();
      if (!def.values?.includes(text)) throw new ValueRejected(`one of ${def.values?.join(', ')}`);
      return text;
    }
    case 'duration':
    case 'bytes': {
      // A TOML number is taken like its text: seconds for a duration, bytes for a size.
      const parse = def.type === 'duration' ? parseDuration : parseByteSize;
      try {
        if (typeof raw !== 'string' && typeof raw !== 'number') return parse('');
        return parse(String(raw));
      } catch (error) {
        if (error instanceof ValueRejected && def.expected) throw new ValueRejected(def.expected);
        throw error;
      }
    }
    case 'path': {
      if (typeof raw !== 'string' || !raw.trim()) throw new ValueRejected('a file or folder path');
      return expandHome(raw.trim());
    }
    default:
      if (typeof raw !== 'string' && typeof raw !== 'number') throw new ValueRejected('text');
      return String(raw);
  }
}
