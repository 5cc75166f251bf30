import { connect, type Socket } from 'node:net';

/** One HTTP/1.1 response as it came off the wire. */
export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * Sends `head` (request line and headers, without the blank line) plus `body` over a fresh TCP
 * connection, exactly as given: no URL normalisation, unlike fetch/undici. Reads until the server
 * closes the connection (the request asks for `connection: close` unless `head` says otherwise).
 */
export function rawRequest(port: number, head: string, body: string | Buffer = ''): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('end', () => {
      try {
        resolve(parseResponse(Buffer.concat(chunks).toString('latin1')));
      } catch (error) {
        reject(error);
      }
    });
    const length = typeof body === 'string' ? Buffer.byteLength(body) : body.length;
    const close = /\r\nconnection:/i.test(head) ? '' : '\r\nconnection: close';
    socket.write(`${head}\r\ncontent-length: ${length}${close}\r\n\r\n`);
    socket.end(body);
  });
}

/** Parses one response (status line, headers, body by content-length or to the end). */
export function parseResponse(text: string): RawResponse {
  const split = text.indexOf('\r\n\r\n');
  if (split < 0) throw new Error(`no complete response head in ${JSON.stringify(text.slice(0, 200))}`);
  const [statusLine = '', ...lines] = text.slice(0, split).split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1]);
  if (!status) throw new Error(`not an HTTP status line: ${JSON.stringify(statusLine)}`);
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const rest = text.slice(split + 4);
  const length = headers['content-length'];
  return { status, headers, body: length !== undefined ? rest.slice(0, Number(length)) : rest };
}

/** Resolves when the server closes `socket` (end or close), with what it sent before. */
export function closedByServer(socket: Socket): Promise<string> {
  return new Promise((resolve) => {
    let received = '';
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('latin1');
    });
    socket.once('close', () => resolve(received));
  });
}
