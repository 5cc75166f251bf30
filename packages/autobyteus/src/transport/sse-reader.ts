import { createParser } from 'eventsource-parser';
import type { HttpResponse } from './http-client.js';
import { EngineProtocolError } from './llm-errors.js';

/** Largest single event we accept; a host that streams garbage without line breaks hits this. */
export const MAX_EVENT_BYTES = 4 * 1024 * 1024;

/**
 * The `data:` payloads of a server-sent-event body, in order. Comments (keep-alives) and `event:`
 * names are dropped: neither llama-server nor mlx_lm.server names its chat events.
 */
export async function* readSseData(response: HttpResponse): AsyncGenerator<string> {
  const pending: string[] = [];
  let parseError: Error | undefined;
  const parser = createParser({
    onEvent: (event) => pending.push(event.data),
    onError: (error) => {
      parseError ??= error;
    },
    maxBufferSize: MAX_EVENT_BYTES,
  });
  const decoder = new TextDecoder();
  for await (const chunk of response.chunks()) {
    parser.feed(decoder.decode(chunk, { stream: true }));
    if (parseError) {
      response.dispose();
      throw new EngineProtocolError(response.context, `malformed event stream: ${parseError.message}`, {
        status: response.status,
      });
    }
    if (pending.length > 0) {
      // Yield what this chunk completed; a consumer that stops early leaves the rest unread.
      const ready = pending.splice(0);
      for (const data of ready) yield data;
    }
  }
  parser.feed(`${decoder.decode()}\n\n`);
  for (const data of pending.splice(0)) yield data;
}
