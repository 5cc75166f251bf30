import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import type { Logger } from 'pino';
import { relayLevel } from './engine-log-level.js';
import { type Run, recordRawLine } from './engine-run.js';
import type { EngineOutputLine, OutputListener } from './engine-status.js';
import { LoadProgress } from './load-progress.js';
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
 * Reads `stream` line by line: each line goes to the log, redacted, at debug (warn for the engine's
 * own error records; a header's level holds for the continuation lines after it, see
 * {@link relayLevel}), into the run's tail and to the listeners; the raw line is kept for readiness
 * probes. Loads are summed up at info ({@link LoadProgress}). Resolves when the stream closes.
 */
export function pipeOutput(
  run: Run,
  stream: Readable | null,
  name: 'stdout' | 'stderr',
  sinks: OutputSinks,
): Promise<void> {
  if (!stream) return Promise.resolve();
  const redactor = new PromptRedactor(sinks.logPrompts);
  const progress = new LoadProgress();
  let level: EngineLogLevel = 'info';
  const lines = createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY });
  lines.on('line', (raw) => {
    const text = cleanLine(raw);
    const header = parseRecordHeader(text);
    if (header) level = header.level;
    const safe = redactor.redact(text);
    sinks.log[relayLevel(level)]({ stream: name }, safe);
    const summary = progress.line(safe, Date.now());
    if (summary) sinks.log.info(summary.fields, summary.message);
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
