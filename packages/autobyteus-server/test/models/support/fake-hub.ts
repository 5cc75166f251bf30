import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, readFileSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * A local stand-in for the Hugging Face hub and PyPI, on 127.0.0.1, with faults on demand.
 *
 * Hub:  GET /api/models/{org}/{repo}/revision/{rev}        → {sha, id}
 *       GET /api/models/{org}/{repo}/tree/{rev}?recursive   → [{type, path, size, oid, lfs?}] (paginated by Link)
 *       GET /{org}/{repo}/resolve/{rev}/{path}               → the bytes (Range, ETag, X-Repo-Commit)
 * PyPI: GET /pypi/{project}/{version}/json, /pypi/{project}/json, and the wheel at /files/{name}
 * Raw:  GET /blobs/{name}                                   → the bytes (Range)
 *       GET /dl/<anything>                                   → the content set with `serveAnyName` (Range)
 * A gated repo answers 401 to any request without `Authorization: Bearer <token>`.
 */

/** Content served from memory or from a file on disk (served streaming, with Range). */
export interface FakeContent {
  size: number;
  sha256: string;
  /** Git blob id (sha1 of `blob <size>\0<content>`). */
  gitOid: string;
  buffer?: Buffer;
  filePath?: string;
}

/** Fault applied to requests for one URL path. */
export interface Fault {
  /** Absolute offsets: each request that starts before the next one is cut there (socket destroyed). */
  cutAt?: number[];
  /** Serve bytes with one byte flipped in the middle. */
  corrupt?: boolean;
  /** Answer this status instead (404, 500, ...). */
  status?: number;
  /** Send `chunkBytes` every `delayMs`. */
  trickle?: { chunkBytes: number; delayMs: number };
  /** Once: send bytes up to this offset, then go silent with the socket open. */
  stallAt?: number;
  /** Ignore Range headers (answer 200 with the whole file). */
  ignoreRange?: boolean;
  /** Answer `302 Location: <redirectTo>` instead. */
  redirectTo?: string;
  /** Announce `Content-Length: <announce>`, send nothing and close the connection. */
  announceAndClose?: number;
  /** Send the body chunked, without Content-Length (the size is unknown until the end). */
  chunked?: boolean;
  /** Send this many bytes past the end of the file, chunked: a body longer than the listing says. */
  overrun?: number;
}

export interface RecordedRequest {
  method: string;
  path: string;
  /** The request target as sent (not decoded). */
  rawPath: string;
  range?: string;
  authorization?: string;
}

interface FakeRepo {
  id: string;
  commit: string;
  gated: boolean;
  files: Map<string, FakeContent & { lfs: boolean }>;
}

interface FakeWheel {
  project: string;
  version: string;
  filename: string;
  content: FakeContent;
}

/** Builds served content from bytes. */
export function contentOf(buffer: Buffer): FakeContent {
  return {
    size: buffer.length,
    sha256: createHash('sha256').update(buffer).digest('hex'),
    gitOid: gitOid(buffer),
    buffer,
  };
}

/** Builds served content from a file (hashed once, served streaming). */
export function contentOfFile(filePath: string): FakeContent {
  const buffer = readFileSync(filePath);
  return {
    size: statSync(filePath).size,
    sha256: createHash('sha256').update(buffer).digest('hex'),
    gitOid: gitOid(buffer),
    filePath,
  };
}

function gitOid(buffer: Buffer): string {
  return createHash('sha1').update(`blob ${buffer.length}\0`).update(buffer).digest('hex');
}

export class FakeHub {
  readonly token = 'hf_test_token_123';
  readonly requests: RecordedRequest[] = [];
  /** Tree API page size (pagination through Link headers). */
  treePageSize = 100;
  /** When false, /pypi/{project}/{version}/json answers 404 (as some PyPI proxies do). */
  pypiVersionApi = true;
  private readonly repos = new Map<string, FakeRepo>();
  private readonly blobs = new Map<string, FakeContent>();
  private readonly wheels: FakeWheel[] = [];
  private readonly faults = new Map<string, Fault>();
  private readonly sockets = new Set<Socket>();
  private anyName: FakeContent | undefined;

  private constructor(
    private readonly server: Server,
    readonly baseUrl: string,
  ) {}

  static async start(): Promise<FakeHub> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const hub = new FakeHub(server, `http://127.0.0.1:${port}`);
    server.on('request', (req, res) => {
      hub.handle(req, res).catch((error: unknown) => {
        if (!res.headersSent) res.writeHead(500).end(String(error));
        else res.destroy();
      });
    });
    server.on('connection', (socket) => {
      hub.sockets.add(socket);
      socket.on('close', () => hub.sockets.delete(socket));
    });
    return hub;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Adds a repo; `.gguf`/`.safetensors` files and files over 10 kB are LFS, like on the hub. */
  addRepo(id: string, files: Record<string, FakeContent>, options: { gated?: boolean } = {}): { commit: string } {
    const commit = randomBytes(20).toString('hex');
    const map = new Map<string, FakeContent & { lfs: boolean }>();
    for (const [path, content] of Object.entries(files)) {
      map.set(path, { ...content, lfs: /\.(gguf|safetensors)$/.test(path) || content.size > 10_000 });
    }
    this.repos.set(id, { id, commit, gated: options.gated ?? false, files: map });
    return { commit };
  }

  /** Serves content at `/blobs/{name}`; returns its URL. */
  addBlob(name: string, content: FakeContent): string {
    this.blobs.set(name, content);
    return `${this.baseUrl}/blobs/${name}`;
  }

  /** Publishes a wheel for `project==version` on the fake PyPI. */
  addWheel(project: string, version: string, filename: string, content: FakeContent): void {
    this.wheels.push({ project, version, filename, content });
  }

  /** Serves `content` at `/dl/<anything>` (any name, however encoded); returns the URL prefix. */
  serveAnyName(content: FakeContent): string {
    this.anyName = content;
    return `${this.baseUrl}/dl/`;
  }

  /** Applies `fault` to requests whose path (without query) is `path`; `undefined` clears it. */
  setFault(path: string, fault: Fault | undefined): void {
    if (fault) this.faults.set(path, fault);
    else this.faults.delete(path);
  }

  /** Requests whose path is `path`. */
  requestsFor(path: string): RecordedRequest[] {
    return this.requests.filter((r) => r.path === path);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.baseUrl);
    const path = decodeURIComponent(url.pathname);
    this.requests.push({
      method: req.method ?? 'GET',
      path,
      rawPath: url.pathname,
      range: req.headers.range,
      authorization: req.headers.authorization,
    });
    const fault = this.faults.get(path);
    if (fault?.status) return void res.writeHead(fault.status, { 'content-type': 'text/plain' }).end('fault');
    if (fault?.redirectTo) return void res.writeHead(302, { location: fault.redirectTo, 'content-length': '0' }).end();
    if (fault?.announceAndClose !== undefined) {
      res.writeHead(200, { 'content-length': String(fault.announceAndClose) });
      res.flushHeaders();
      return void res.socket?.end(() => res.socket?.destroy());
    }
    if (url.pathname.startsWith('/dl/') && this.anyName) return serve(req, res, this.anyName, fault, {});

    let match = /^\/api\/models\/([^/]+\/[^/]+)\/(revision|tree)\/([^/]+)$/.exec(path);
    if (match) {
      const repo = this.repoFor(match[1]!, req, res);
      if (!repo) return;
      const rev = match[3]!;
      if (rev !== 'main' && rev !== repo.commit) return json(res, 404, { error: `Revision Not Found ${rev}` });
      if (match[2] === 'revision') return json(res, 200, { id: repo.id, sha: repo.commit, private: false });
      return this.tree(repo, url, res);
    }
    match = /^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(path);
    if (match) {
      const repo = this.repoFor(match[1]!, req, res);
      if (!repo) return;
      const file = repo.files.get(match[3]!);
      if (!file || (match[2] !== 'main' && match[2] !== repo.commit)) {
        return json(res, 404, { error: 'Entry not found' });
      }
      return serve(req, res, file, fault, {
        etag: `"${file.lfs ? file.sha256 : file.gitOid}"`,
        'x-repo-commit': repo.commit,
      });
    }
    match = /^\/pypi\/([^/]+)\/(?:([^/]+)\/)?json$/.exec(path);
    if (match) return this.pypi(res, match[1]!, match[2]);
    match = /^\/files\/([^/]+)$/.exec(path);
    if (match) {
      const wheel = this.wheels.find((w) => w.filename === match![1]);
      if (!wheel) return json(res, 404, { message: 'Not Found' });
      return serve(req, res, wheel.content, fault, { etag: `"${wheel.content.sha256}"` });
    }
    match = /^\/blobs\/([^/]+)$/.exec(path);
    if (match) {
      const blob = this.blobs.get(match[1]!);
      if (!blob) return json(res, 404, { error: 'no such blob' });
      return serve(req, res, blob, fault, { etag: `"${blob.sha256}"` });
    }
    json(res, 404, { error: 'Repository not found' });
  }

  private repoFor(id: string, req: IncomingMessage, res: ServerResponse): FakeRepo | undefined {
    const repo = this.repos.get(id);
    if (!repo) {
      json(res, 404, { error: 'Repository not found' });
      return undefined;
    }
    if (repo.gated && req.headers.authorization !== `Bearer ${this.token}`) {
      json(res, 401, {
        error: `Access to model ${id} is restricted. You must have access to it and be authenticated.`,
      });
      return undefined;
    }
    return repo;
  }

  private tree(repo: FakeRepo, url: URL, res: ServerResponse): void {
    const entries: unknown[] = [];
    const dirs = new Set<string>();
    for (const [path, file] of repo.files) {
      const parts = path.split('/');
      for (let i = 1; i < parts.length; i++) dirs.add(parts.slice(0, i).join('/'));
      entries.push({
        type: 'file',
        path,
        size: file.size,
        oid: file.lfs ? createHash('sha1').update(`lfs pointer ${file.sha256}`).digest('hex') : file.gitOid,
        ...(file.lfs ? { lfs: { oid: file.sha256, size: file.size, pointerSize: 135 } } : {}),
      });
    }
    for (const dir of dirs) entries.push({ type: 'directory', path: dir, size: 0, oid: 'd'.repeat(40) });
    const cursor = Number(url.searchParams.get('cursor') ?? 0);
    const page = entries.slice(cursor, cursor + this.treePageSize);
    const headers: Record<string, string> = {};
    if (cursor + this.treePageSize < entries.length) {
      const next = new URL(url);
      next.searchParams.set('cursor', String(cursor + this.treePageSize));
      headers.link = `<${next.toString()}>; rel="next"`;
    }
    json(res, 200, page, headers);
  }

  private pypi(res: ServerResponse, project: string, version: string | undefined): void {
    const releases = this.wheels.filter((w) => w.project === project);
    const fileInfo = (w: FakeWheel) => ({
      filename: w.filename,
      url: `${this.baseUrl}/files/${w.filename}`,
      packagetype: 'bdist_wheel',
      python_version: 'py3',
      size: w.content.size,
      digests: { sha256: w.content.sha256, md5: 'x' },
      yanked: false,
    });
    const own = releases.filter((w) => w.version === version);
    if (releases.length === 0) {
      json(res, 404, { message: 'Not Found' });
    } else if (version === undefined) {
      const byVersion: Record<string, unknown[]> = {};
      for (const w of releases) {
        byVersion[w.version] = [...(byVersion[w.version] ?? []), fileInfo(w)];
      }
      json(res, 200, { info: { name: project }, releases: byVersion });
    } else if (!this.pypiVersionApi) {
      res.writeHead(404, { 'content-length': '0' }).end();
    } else if (own.length === 0) {
      json(res, 404, { message: 'Not Found' });
    } else {
      json(res, 200, { info: { name: project, version }, urls: own.map(fileInfo) });
    }
  }
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** Serves `content` honouring `Range: bytes=N-` and `bytes=N-M`, with the fault's cut, stall, trickle or corruption. */
async function serve(
  req: IncomingMessage,
  res: ServerResponse,
  content: FakeContent,
  fault: Fault | undefined,
  headers: Record<string, string>,
): Promise<void> {
  const size = content.size;
  let start = 0;
  // One past the last byte this response carries.
  let end = size;
  const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
  if (range && !fault?.ignoreRange) {
    start = Number(range[1]);
    if (range[2]) end = Math.min(size, Number(range[2]) + 1);
    if (start >= size || start >= end) {
      res.writeHead(416, { 'content-range': `bytes */${size}`, 'content-length': '0' }).end();
      return;
    }
    res.writeHead(206, {
      ...headers,
      'accept-ranges': 'bytes',
      'content-range': `bytes ${start}-${end - 1}/${size}`,
      'content-length': String(end - start),
    });
  } else if (fault?.chunked || fault?.overrun) {
    res.writeHead(200, headers);
  } else {
    res.writeHead(200, { ...headers, 'accept-ranges': 'bytes', 'content-length': String(size) });
  }

  let cut: number | undefined;
  if (fault?.cutAt) {
    const index = fault.cutAt.findIndex((offset) => offset > start && offset < end);
    if (index >= 0) cut = fault.cutAt.splice(index, 1)[0];
  }
  let stall: number | undefined;
  if (fault?.stallAt !== undefined && fault.stallAt > start && fault.stallAt < end) {
    stall = fault.stallAt;
    fault.stallAt = undefined;
  }
  const stopAt = Math.min(cut ?? end, stall ?? end);
  const flip = fault?.corrupt ? Math.floor(size / 2) : -1;

  let position = start;
  for await (const original of chunks(content, start, stopAt, fault?.trickle?.chunkBytes)) {
    let chunk = original;
    if (flip >= position && flip < position + chunk.length) {
      chunk = Buffer.from(chunk);
      chunk[flip - position] = chunk[flip - position]! ^ 0xff;
    }
    position += chunk.length;
    if (res.destroyed) return;
    if (!res.write(chunk)) await new Promise((resolve) => res.once('drain', resolve));
    if (fault?.trickle) await new Promise((resolve) => setTimeout(resolve, fault.trickle!.delayMs));
  }
  if (position >= end) {
    res.end(fault?.overrun ? Buffer.alloc(fault.overrun, 0x2a) : undefined);
    return;
  }
  if (stall !== undefined && position === stall) return; // silent, socket left open
  // Cut: let the bytes reach the socket, then drop the connection mid-body.
  await new Promise<void>((resolve) => res.write('', () => resolve()));
  res.socket?.destroy();
}

async function* chunks(content: FakeContent, start: number, end: number, chunkBytes = 64 * 1024) {
  if (end <= start) return;
  if (content.buffer) {
    for (let offset = start; offset < end; offset += chunkBytes) {
      yield content.buffer.subarray(offset, Math.min(end, offset + chunkBytes));
    }
    return;
  }
  const stream = createReadStream(content.filePath!, { start, end: end - 1, highWaterMark: chunkBytes });
  for await (const chunk of stream) yield chunk as Buffer;
}
