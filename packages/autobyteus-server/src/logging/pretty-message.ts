/** Colour functions the pretty printer hands over (identity functions when colour is off). */
export interface Paint {
  cyan(text: string): string;
  gray(text: string): string;
}

const PLAIN: Paint = { cyan: (t) => t, gray: (t) => t };

/** Fields the line shows elsewhere (level, time) or that say nothing to a reader at a terminal. */
const HIDDEN = new Set(['level', 'time', 'pid', 'hostname', 'name', 'msg', 'v', 'stream', 'engine', 'component']);
/** Error fields (pino's serializer gives `{ type, message, stack }`): the message is shown, the stack only in JSON. */
const ERROR_KEYS = new Set(['err', 'error']);
/** A value longer than this is cut: the terminal line is a summary, the JSON format keeps everything. */
const MAX_VALUE_CHARS = 160;

/**
 * One log record as a readable line: `[llama-cpp] engine ready port=18000 enginePid=4242`. The source
 * (`engine`, or the library's `component`) comes first, then the message, then the other fields as
 * `key=value`. The record is what pino wrote (after redaction), so redacted values stay redacted.
 */
export function prettyMessage(log: Record<string, unknown>, paint: Paint = PLAIN): string {
  const source = typeof log.engine === 'string' ? log.engine : typeof log.component === 'string' ? log.component : '';
  const parts: string[] = [];
  if (source) parts.push(paint.cyan(`[${source}]`));
  parts.push(typeof log.msg === 'string' ? visible(log.msg) : '');
  const fields: string[] = [];
  for (const [key, value] of Object.entries(log)) {
    if (HIDDEN.has(key) || value === undefined) continue;
    fields.push(`${key}=${formatValue(key, value)}`);
  }
  if (fields.length > 0) parts.push(paint.gray(fields.join(' ')));
  return parts.filter(Boolean).join(' ');
}

function formatValue(key: string, value: unknown): string {
  if (ERROR_KEYS.has(key) && isRecord(value) && typeof value.message === 'string') {
    return formatValue('', value.message);
  }
  if (key === 'req' && isRecord(value) && typeof value.method === 'string' && typeof value.url === 'string') {
    return visible(`${value.method} ${value.url}`);
  }
  if (key === 'res' && isRecord(value) && value.statusCode !== undefined) return String(value.statusCode);
  if (key === 'responseTime' && typeof value === 'number') return `${value.toFixed(1)}ms`;
  const text =
    typeof value === 'string'
      ? /^[^\s"=]+$/.test(value)
        ? value
        : JSON.stringify(value)
      : (JSON.stringify(value) ?? String(value));
  return text.length > MAX_VALUE_CHARS ? `${text.slice(0, MAX_VALUE_CHARS - 1)}…` : text;
}

/** Control characters (an engine's stray escape sequence) shown as `\u001b`, never sent to the terminal. */
function visible(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: these are the characters being escaped
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}
