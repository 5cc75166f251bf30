// One HTTP request, and exactly what came back: node:http (not fetch), so that nothing is decoded or
// re-framed on the way, and a connection the server drops is an answer too (status null).
import http from 'node:http';

/**
 * Sends one request with node:http and resolves (never rejects) with
 * {status, headers, body, error?}. `body` is the exact response text, however it was framed.
 */
export function rawRequest(base, { method, path: p, headers = {}, body }, timeoutMs = 600_000) {
  return new Promise((resolve) => {
    const url = new URL(p, base);
    const payload =
      body === undefined ? undefined : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body), 'utf8');
    const h = { ...headers };
    if (payload) h['content-length'] = String(payload.length);
    let settled = false;
    const finish = (v) => {
      if (!settled) {
        settled = true;
        resolve(v);
      }
    };
    const req = http.request(
      { host: url.hostname, port: url.port, path: url.pathname + url.search, method, headers: h, agent: false },
      (res) => {
        const chunks = [];
        const headersOut = {};
        for (let i = 0; i < res.rawHeaders.length; i += 2) {
          const name = res.rawHeaders[i].toLowerCase();
          if (name === 'date') continue;
          headersOut[name] =
            headersOut[name] === undefined ? res.rawHeaders[i + 1] : `${headersOut[name]}, ${res.rawHeaders[i + 1]}`;
        }
        const done = (error) =>
          finish({
            status: res.statusCode,
            headers: headersOut,
            body: Buffer.concat(chunks).toString('utf8'),
            ...(error ? { error } : {}),
          });
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => done());
        res.on('error', (e) => done(`${e.code ?? 'error'}: ${e.message}`));
        res.on('aborted', () => done('connection closed before the response ended'));
        res.on('close', () => done(res.complete ? undefined : 'connection closed before the response ended'));
      },
    );
    req.on('error', (e) =>
      finish({ status: null, headers: {}, body: '', error: `${e.code ?? 'error'}: ${e.message}` }),
    );
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    if (payload) req.write(payload);
    req.end();
  });
}
