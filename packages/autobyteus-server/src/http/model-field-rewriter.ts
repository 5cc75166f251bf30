/** `"model":"…"` in engine JSON (no escaped quotes inside: engine model names have none). */
const MODEL_FIELD = /"model"\s*:\s*"[^"\\]*"/;

/**
 * Rewrites the `model` field of an engine's SSE events to the name the client asked for, without
 * parsing the events. It works on byte strings (`latin1`: one character per byte, so decoding and
 * encoding are plain copies and the bytes come out exactly as they came in, UTF-8 included): write its
 * output with the `latin1` encoding. An engine writes the same `"model":"…"` in every event, so once the
 * first one is seen the rest is one string replacement per read (none when the engine's name already
 * is the client's). Text after the last newline is held back (a field never spans lines), so a field
 * cut between two reads is still replaced whole; a newline is never part of a UTF-8 sequence.
 */
export class SseModelRewriter {
  private pending = '';
  private needle: string | undefined;
  /** The client's field, as the byte string of its UTF-8 encoding. */
  private readonly replacement: string;

  constructor(model: string) {
    this.replacement = Buffer.from(`"model":${JSON.stringify(model)}`).toString('latin1');
  }

  /** Everything up to the last newline of what came so far, rewritten, as a byte string; the rest is held. */
  push(chunk: Buffer): string {
    const read = chunk.toString('latin1');
    const text = this.pending ? this.pending + read : read;
    const end = text.lastIndexOf('\n');
    if (end < 0) {
      this.pending = text;
      return '';
    }
    this.pending = end === text.length - 1 ? '' : text.slice(end + 1);
    return this.rewrite(end === text.length - 1 ? text : text.slice(0, end + 1));
  }

  /** Whatever is left when the stream ends, as a byte string. */
  flush(): string {
    const rest = this.pending;
    this.pending = '';
    return this.rewrite(rest);
  }

  private rewrite(text: string): string {
    if (this.needle === undefined) {
      const found = MODEL_FIELD.exec(text);
      if (!found) return text;
      this.needle = found[0];
    }
    return this.needle === this.replacement ? text : text.replaceAll(this.needle, this.replacement);
  }
}

/** A whole JSON answer with its top-level `model` (if any) set to `model`; other JSON passes unchanged. */
export function rewriteJsonModel(text: string, model: string): string {
  try {
    const parsed = JSON.parse(text) as unknown;
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed) && 'model' in parsed) {
      return JSON.stringify({ ...(parsed as Record<string, unknown>), model });
    }
  } catch {
    // Not JSON: relay as it is.
  }
  return text;
}
