/** `"model":"…"` in engine JSON (no escaped quotes inside: engine model names have none). */
const MODEL_FIELD = /"model"\s*:\s*"[^"\\]*"/;

/**
 * Rewrites the `model` field of an engine's SSE events to the name the client asked for, without
 * parsing the events: bytes are cut at event boundaries (`\n\n`) and only the first `"model":"…"`
 * of an event is replaced. Everything else passes through as the engine wrote it.
 */
export class SseModelRewriter {
  private pending = '';
  private readonly replacement: string;

  constructor(model: string) {
    this.replacement = `"model":${JSON.stringify(model)}`;
  }

  /** The complete events in `chunk` (plus any held back before), rewritten; a partial event is held. */
  push(chunk: string): string {
    const text = this.pending + chunk;
    const end = text.lastIndexOf('\n\n');
    if (end < 0) {
      this.pending = text;
      return '';
    }
    this.pending = text.slice(end + 2);
    const events = text.slice(0, end + 2);
    return events.includes('"model"') ? this.rewriteEvents(events) : events;
  }

  /** Whatever is left when the stream ends. */
  flush(): string {
    const rest = this.pending;
    this.pending = '';
    return rest.replace(MODEL_FIELD, this.replacement);
  }

  private rewriteEvents(events: string): string {
    return events
      .split('\n\n')
      .map((event) => event.replace(MODEL_FIELD, this.replacement))
      .join('\n\n');
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
