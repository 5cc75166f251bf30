import type { ChatStreamChunk } from 'autobyteus';
import type { TranslatedChunk } from './translation.js';

/**
 * Finds the client's stop sequences in streamed text. Engines drop a stop sequence from their output
 * and report plain `stop`, so the gateway applies them itself to say which one ended the answer:
 * text that could be the start of a stop sequence is held back until the next piece decides it.
 */
export class StopSequenceScanner {
  private held = '';
  private readonly stops: string[];

  constructor(stops: readonly string[]) {
    this.stops = stops.filter((stop) => stop.length > 0);
  }

  /** The text safe to pass on now, and the stop sequence when the answer ends inside `text`. */
  push(text: string): { text: string; stopped?: string } {
    const all = this.held + text;
    let at = -1;
    let stopped: string | undefined;
    for (const stop of this.stops) {
      const i = all.indexOf(stop);
      if (i !== -1 && (at === -1 || i < at)) {
        at = i;
        stopped = stop;
      }
    }
    if (stopped !== undefined) {
      this.held = '';
      return { text: all.slice(0, at), stopped };
    }
    let keep = 0;
    for (let n = Math.min(all.length, this.longest() - 1); n > 0; n--) {
      const tail = all.slice(all.length - n);
      if (this.stops.some((stop) => stop.startsWith(tail))) {
        keep = n;
        break;
      }
    }
    this.held = all.slice(all.length - keep);
    return { text: all.slice(0, all.length - keep) };
  }

  /** Text still held back when the answer ends without a stop sequence. */
  flush(): string {
    const rest = this.held;
    this.held = '';
    return rest;
  }

  private longest(): number {
    return this.stops.reduce((max, stop) => Math.max(max, stop.length), 0);
  }
}

/**
 * The engine's chunks with the stop sequences applied: content is cut at the first one, which ends
 * the answer with finish reason `stop_sequence` and returns the engine's stream (closing the
 * connection stops the engine). Usage is then unknown: the engine never sent its last chunk.
 */
export async function* applyStopSequences(
  chunks: AsyncIterable<ChatStreamChunk>,
  stops: readonly string[],
): AsyncGenerator<TranslatedChunk> {
  if (!stops.some((stop) => stop.length > 0)) {
    yield* chunks;
    return;
  }
  const scanner = new StopSequenceScanner(stops);
  for await (const chunk of chunks) {
    if (chunk.isComplete) {
      const rest = scanner.flush();
      if (rest) yield { isComplete: false, content: rest };
      yield chunk;
      return;
    }
    if (!chunk.content) {
      // A stop sequence does not span a tool call or reasoning: held text goes out first, in order.
      const rest = scanner.flush();
      if (rest) yield { isComplete: false, content: rest };
      yield chunk;
      continue;
    }
    const { text, stopped } = scanner.push(chunk.content);
    const { content: _content, ...others } = chunk;
    if (text || chunk.reasoning || chunk.toolCalls) yield { ...others, ...(text ? { content: text } : {}) };
    if (stopped !== undefined) {
      yield { isComplete: true, finishReason: 'stop_sequence', stopSequence: stopped };
      return;
    }
  }
}
