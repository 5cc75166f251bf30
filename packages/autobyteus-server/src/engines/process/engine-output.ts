import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import type { Logger } from 'pino';
import { type Run, recordRawLine } from './engine-run.js';
import type { EngineOutputLine, OutputListener } from './engine-status.js';
import { cleanLine, type EngineLogLevel, parseRecordHeader } from './log-record-format.js';
import { PromptRedactor } from './prompt-redactor.js';

/** Where one engine's output goes. */
export interface OutputSinks {
  /** The engine's logger (child `{ engine: name }`). */
  log: Logger;
  /** Log prompt text as printed instead of redacting it (`LOG_PROMPTS`). */
  logPrompts: boolean;
  /** Told every line, redacted as logged. */
  listeners: ReadonlySet<OutputListener>;
}

/**
 * Reads `stream` line by line: each line goes to the log at the level of the engine's own record
 * header (a header's level holds for the continuation lines after it), redacted, into the run's tail
 * and to the listeners; the raw line is kept for readiness probes. Resolves when the stream closes.
 */
export function pipeOutput(
  run: Run,
  stream: Readable | null,
  name: 'stdout' | 'stderr',
  sinks: OutputSinks,
): Promise<void> {
  if (!stream) return Promise.resolve();
  const redactor = new PromptRedactor(sinks.logPrompts);
  let level: EngineLogLevel = 'info';
  const lines = createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY });
  lines.on('line', (raw) => {
    const text = cleanLine(raw);
    const header = parseRecordHeader(text);
    if (header) level = header.level;
    const safe = redactor.redact(text);
    sinks.log[level]({ stream: name }, safe);
    run.tail.push(safe);
    recordRawLine(run, text);
    const line: EngineOutputLine = { stream: name, text: safe, at: Date.now() };
    for (const listener of sinks.listeners) {
      try {
        listener(line);
      } catch (error) {
        sinks.log.warn({ err: error }, 'output listener threw');
      }
    }
  });
  return new Promise((resolve) => lines.once('close', resolve));
}
