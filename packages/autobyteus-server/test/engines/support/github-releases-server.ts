import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One release as the fake GitHub knows it. */
export interface FakeRelease {
  tag: string;
  assets: Array<{
    name: string;
    body: Buffer;
    /** The `digest` field: default `sha256:<sha of body>`; null as for assets uploaded before GitHub had digests. */
    digest?: string | null;
    /** Once: the CDN drops the connection after this many bytes of a full (non-range) response. */
    cutOnceAt?: number;
  }>;
}

export interface RecordedHit {
  path: string;
  range?: string;
}

interface Listening {
  server: Server;
  origin: string;
  hits: RecordedHit[];
}

async function listen(handler: (req: IncomingMessage, res: ServerResponse, url: URL) => void): Promise<Listening> {
  const hits: RecordedHit[] = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    hits.push({ path: url.pathname, range: req.headers.range });
    handler(req, res, url);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, hits };
}

/**
 * Two local servers shaped like GitHub: the site (`/<owner>/<repo>/releases/latest` redirects to
 * `/releases/tag/<tag>`, `/releases/download/<tag>/<asset>` redirects to the CDN), the API
 * (`/repos/<owner>/<repo>/releases/latest` and `/releases/tags/<tag>`, JSON with
 * `assets[].name/browser_download_url/digest`) on the same origin as a mirror would serve it, and the
 * CDN on a second origin (Range supported, signed-looking query). No `.sha256` files anywhere.
 */
export async function startGithubReleases(releases: FakeRelease[], repo = 'ggml-org/llama.cpp') {
  const cutsDone = new Set<string>();
  const cdn = await listen((req, res, url) => {
    const match = /^\/objects\/([^/]+)\/([^/]+)$/.exec(url.pathname);
    const asset = match && releases.find((r) => r.tag === match[1])?.assets.find((a) => a.name === match[2]);
    if (!asset) return void res.writeHead(404).end('Not Found');
    const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    const start = range ? Number(range[1]) : 0;
    const headers: Record<string, string> = { 'content-type': 'application/octet-stream', 'accept-ranges': 'bytes' };
    if (range) headers['content-range'] = `bytes ${start}-${asset.body.length - 1}/${asset.body.length}`;
    headers['content-length'] = String(asset.body.length - start);
    res.writeHead(range ? 206 : 200, headers);
    const key = `${match[1]}/${match[2]}`;
    if (asset.cutOnceAt !== undefined && !range && !cutsDone.has(key)) {
      cutsDone.add(key);
      res.write(asset.body.subarray(0, asset.cutOnceAt), () => res.socket?.destroy());
      return;
    }
    res.end(asset.body.subarray(start));
  });
  const site = await listen((_req, res, url) => {
    const path = url.pathname;
    const releasesRoot = `/${repo}/releases`;
    const apiRoot = `/repos/${repo}/releases`;
    const latest = releases.at(-1);
    if (path === `${releasesRoot}/latest` && latest) {
      return void res.writeHead(302, { location: `${site.origin}${releasesRoot}/tag/${latest.tag}` }).end();
    }
    let match = /^\/releases\/download\/([^/]+)\/([^/]+)$/.exec(path.slice(`/${repo}`.length));
    if (path.startsWith(`/${repo}/`) && match) {
      const [, tag, name] = match;
      if (!releases.find((r) => r.tag === tag)?.assets.some((a) => a.name === name)) {
        return void res.writeHead(404).end('Not Found');
      }
      const signed = `${cdn.origin}/objects/${tag}/${name}?X-Amz-Signature=${createHash('sha1').update(name!).digest('hex')}`;
      return void res.writeHead(302, { location: signed }).end();
    }
    match = /^\/(latest|tags\/([^/]+))$/.exec(path.slice(apiRoot.length));
    if (path.startsWith(apiRoot) && match) {
      const release = match[1] === 'latest' ? latest : releases.find((r) => r.tag === match![2]);
      if (!release) return void json(res, 404, { message: 'Not Found' });
      return void json(res, 200, {
        tag_name: release.tag,
        name: release.tag,
        assets: release.assets.map((asset) => ({
          name: asset.name,
          size: asset.body.length,
          content_type: 'application/octet-stream',
          browser_download_url: `${site.origin}${releasesRoot}/download/${release.tag}/${asset.name}`,
          digest:
            asset.digest === undefined
              ? `sha256:${createHash('sha256').update(asset.body).digest('hex')}`
              : asset.digest,
        })),
      });
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('Not Found');
  });
  return {
    /** The releases root, as LLAMACPP_RELEASE_URL would name it. */
    baseUrl: `${site.origin}/${repo}/releases`,
    site: site.hits,
    cdn: cdn.hits,
    cdnOrigin: cdn.origin,
    async close() {
      for (const { server } of [site, cdn]) {
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      }
    },
  };
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }).end(text);
}
