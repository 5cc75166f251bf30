/** Severity of one engine log record, in pino's terms. */
export type EngineLogLevel = 'debug' | 'info' | 'warn' | 'error';

/** The recognised start of a log record. */
export interface RecordHeader {
  level: EngineLogLevel;
  /** Length of the header; the message follows. */
  length: number;
  /** Which engine's format matched. */
  format: 'llama-cpp' | 'python-logging';
}

/** llama.cpp common log: `0.02.533.779 I srv  llama_server: model loaded` (time since start, level letter). */
const LLAMA_HEADER = /^\d+\.\d{2}\.\d{3}\.\d{3} ([A-Z]) /;
/** mlx_lm.server's `logging.basicConfig` format: `2026-01-02 10:11:12,345 - INFO - message`. */
const PYTHON_HEADER = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2},\d{3} - ([A-Z]+) - /;

const LLAMA_LEVELS: Record<string, EngineLogLevel> = { D: 'debug', I: 'info', W: 'warn', E: 'error' };
const PYTHON_LEVELS: Record<string, EngineLogLevel> = {
  DEBUG: 'debug',
  INFO: 'info',
  WARNING: 'warn',
  ERROR: 'error',
  CRITICAL: 'error',
};

/**
 * Recognises the record headers llama-server and mlx_lm.server print. A line without a header
 * continues the previous record (multi-line messages, pretty-printed JSON) or is unformatted output.
 */
export function parseRecordHeader(line: string): RecordHeader | undefined {
  const llama = LLAMA_HEADER.exec(line);
  if (llama) {
    return { level: LLAMA_LEVELS[llama[1] ?? ''] ?? 'info', length: llama[0].length, format: 'llama-cpp' };
  }
  const python = PYTHON_HEADER.exec(line);
  if (python) {
    return { level: PYTHON_LEVELS[python[1] ?? ''] ?? 'info', length: python[0].length, format: 'python-logging' };
  }
  return undefined;
}

const ANSI_ESCAPE = new RegExp(`${String.fromCharCode(27)}\\[[0-9;?]*[A-Za-z]`, 'g');

/** Removes terminal colour codes (llama-server colours some debug lines) and a trailing CR. */
export function cleanLine(line: string): string {
  return line.replace(ANSI_ESCAPE, '').replace(/\r$/, '');
}
