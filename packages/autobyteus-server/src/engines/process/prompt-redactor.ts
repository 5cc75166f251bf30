import { parseRecordHeader } from './log-record-format.js';

/** What replaces redacted text. */
export const REDACTED = '[redacted]';

/**
 * JSON keys that carry prompt or completion text in OpenAI-style bodies. A line with one of them is
 * cut from the first `{` or `[` on (else from the key).
 */
const PROMPT_KEYS =
  /"(?:messages|prompt|content|input|instructions|system|text|reasoning|reasoning_content|arguments|completion|delta)"\s*:/;

/**
 * Labels after which the engines print prompt text, request or response bodies, or generated tokens.
 * The text after the label is redacted:
 * - llama-server (`-v`): `request:  {...}` / `response: {...}` bodies, `next token: 123 'text'`,
 *   `prefill token: ...`, `prompt token N: ...` (`--verbose-prompt`), `Parsed message: {...}`,
 *   `generation_prompt='...`, `formatted prompt: ...`, `... prompt: ...`;
 * - mlx_lm.server: `Incoming Request Body: {` (pretty-printed over many lines), `Invalid Request Body:`,
 *   `Outgoing Response: {`, `JSONDecodeError: ... - Raw body: ...`;
 * - generic: any `request:`, `response:` or `body:` label followed by a JSON object or array.
 */
const PROMPT_MARKERS = [
  /\b(?:request|response|body)\s*:\s*(?=[{[])/i,
  /\b(?:Incoming Request Body|Invalid Request Body|Outgoing Response|Raw body)\s*:/i,
  /\b(?:next token|prefill token|prompt token\s*\d*|Parsed message|formatted prompt|prompt)\s*:/i,
  /\bgeneration_prompt\s*=/,
];

/** A body that never closes stops being redacted after this many lines (a safety valve, not a rule). */
const MAX_BODY_LINES = 20_000;

/**
 * Removes prompt and completion text from engine output lines before they reach the logs, unless the
 * operator turned `LOG_PROMPTS` on. One instance per output stream (it keeps state across lines).
 *
 * The heuristic, line by line:
 * 1. Record headers (llama.cpp `0.01.973.248 I `, Python logging `2026-01-02 10:11:12,345 - INFO - `)
 *    start a new record; a line without a header continues the previous record once the stream has
 *    shown headers. A continuation of a redacted record is redacted as a whole (multi-line prompts,
 *    pretty-printed bodies, generated text containing newlines).
 * 2. A line is cut (text kept up to the cut, then `[redacted]`) when
 *    a. it is a Python `DEBUG` record: mlx_lm.server logs every generated text piece at DEBUG with no
 *       label (`logging.debug(gen.text)`), so its whole DEBUG message is redacted;
 *    b. it contains a JSON key that carries text (`"messages"`, `"prompt"`, `"content"`, ...): cut at
 *       the first `{`/`[` of the line;
 *    c. it contains one of the labels in {@link PROMPT_MARKERS}: cut right after the label.
 * 3. When the redacted part opens a JSON object or array that does not close on the same line, the
 *    following lines are redacted until brackets balance again (string-aware), so pretty-printed
 *    bodies from engines without record headers are covered too.
 *
 * Known limits: prompt text printed by an engine with no label, no JSON key and no record header
 * (e.g. a custom launch command echoing raw text) passes through; engine log levels (`-v`,
 * `--log-level DEBUG`) are what make engines print prompts at all, and they are off by default.
 */
export class PromptRedactor {
  private headersSeen = false;
  private recordRedacted = false;
  private depth = 0;
  private inString = false;
  private escaped = false;
  private bodyLines = 0;

  /** @param logPrompts when true, lines pass through unchanged */
  constructor(private readonly logPrompts = false) {}

  /** The line as it may be logged. */
  redact(line: string): string {
    if (this.logPrompts) return line;
    const header = parseRecordHeader(line);
    if (header) {
      this.headersSeen = true;
      this.recordRedacted = false;
      this.resetBody();
    } else {
      if (this.depth > 0) {
        this.scan(line);
        if (++this.bodyLines > MAX_BODY_LINES) this.resetBody();
        return REDACTED;
      }
      if (this.headersSeen && this.recordRedacted) return REDACTED;
    }
    const cut = this.cutIndex(
      line,
      header?.length ?? 0,
      header?.format === 'python-logging' && header.level === 'debug',
    );
    if (cut === undefined) return line;
    this.recordRedacted = true;
    this.resetBody();
    this.scan(line.slice(cut));
    return `${line.slice(0, cut)}${REDACTED}`;
  }

  private cutIndex(line: string, headerLength: number, pythonDebug: boolean): number | undefined {
    if (pythonDebug) return headerLength;
    const key = PROMPT_KEYS.exec(line);
    if (key) {
      const open = line.search(/[{[]/);
      return open >= 0 && open < key.index ? open : key.index;
    }
    let best: number | undefined;
    for (const marker of PROMPT_MARKERS) {
      const match = marker.exec(line);
      if (match) {
        const end = match.index + match[0].length;
        if (best === undefined || end < best) best = end;
      }
    }
    return best;
  }

  /** Tracks JSON bracket depth across lines, ignoring brackets inside strings. */
  private scan(text: string): void {
    for (const ch of text) {
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (ch === '\\') this.escaped = true;
        else if (ch === '"') this.inString = false;
      } else if (ch === '"') {
        this.inString = true;
      } else if (ch === '{' || ch === '[') {
        this.depth++;
      } else if ((ch === '}' || ch === ']') && this.depth > 0) {
        this.depth--;
      }
    }
    // A string never spans lines in JSON: a dangling quote means this was not JSON after all.
    this.inString = false;
    this.escaped = false;
  }

  private resetBody(): void {
    this.depth = 0;
    this.inString = false;
    this.escaped = false;
    this.bodyLines = 0;
  }
}
