/** One server-sent event: its data lines joined, or a comment line (`: loading …`). */
export type SseItem = { kind: 'data'; data: string } | { kind: 'comment'; text: string };

/** The gateway bounds one event to 4 MB; a longer line here means a broken stream. */
const MAX_BUFFERED_CHARS = 4 * 1024 * 1024;

/**
 * Reads a `text/event-stream` body (fetch's ReadableStream) event by event. EventSource cannot send
 * the Authorization header or a POST body, hence this reader.
 */
export async function* readSse(body: ReadableStream<Uint8Array>): AsyncGenerator<SseItem> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  let data: string[] = [];
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      if (buffer.length > MAX_BUFFERED_CHARS) throw new Error('stream line longer than 4 MB');
      for (let end = buffer.search(/\r\n|\r|\n/); end >= 0; end = buffer.search(/\r\n|\r|\n/)) {
        const line = buffer.slice(0, end);
        buffer = buffer.slice(buffer[end] === '\r' && buffer[end + 1] === '\n' ? end + 2 : end + 1);
        if (line === '') {
          if (data.length) yield { kind: 'data', data: data.join('\n') };
          data = [];
        } else if (line.startsWith(':')) {
          yield { kind: 'comment', text: line.slice(1).trim() };
        } else if (line.startsWith('data:')) {
          data.push(line.slice(line[5] === ' ' ? 6 : 5));
        }
        // Other fields (event:, id:, retry:) are not used by the gateway.
      }
    }
    if (data.length) yield { kind: 'data', data: data.join('\n') };
  } finally {
    reader.releaseLock();
  }
}
