// Turns one request spec into one fixture file: sends it with the right credentials, writes what came
// back with the key replaced by a placeholder, and refuses to write a file that would hold the key.
import fs from 'node:fs';
import path from 'node:path';
import { die, log } from './log.mjs';
import { rawRequest } from './raw-request.mjs';

const API_KEY_PLACEHOLDER = '<api-key>';

/** Records fixtures of one engine into one folder; `apiKey` and `recordedFrom` change per group. */
export class FixtureRecorder {
  /** @param {{ engine: string, out: string, apiKey?: string, recordedFrom?: string | null }} options */
  constructor({ engine, out, apiKey, recordedFrom = null }) {
    this.engine = engine;
    this.out = out;
    /** The key sent where a group needs a valid one (the spawned auth group sets it to its server's). */
    this.apiKey = apiKey;
    /** The engine/version string written into every fixture. */
    this.recordedFrom = recordedFrom;
    /** Names of the fixtures written so far, in order. */
    this.written = [];
  }

  /** The bearer header for reading a server's endpoints (none without a key). */
  bearer() {
    return this.apiKey ? { authorization: `Bearer ${this.apiKey}` } : {};
  }

  /** The headers sent (`real`) and written to the fixture (`shown`) for an auth kind. */
  authHeader(kind) {
    if (kind === 'valid') {
      if (!this.apiKey) die('this group needs --api-key');
      return {
        real: { authorization: `Bearer ${this.apiKey}` },
        shown: { authorization: `Bearer ${API_KEY_PLACEHOLDER}` },
      };
    }
    if (kind === 'valid-x-api-key') {
      if (!this.apiKey) die('this group needs --api-key');
      return { real: { 'x-api-key': this.apiKey }, shown: { 'x-api-key': API_KEY_PLACEHOLDER } };
    }
    if (kind === 'wrong')
      return { real: { authorization: 'Bearer wrong-key' }, shown: { authorization: 'Bearer wrong-key' } };
    return { real: {}, shown: {} };
  }

  /** spec: {name, method, path, body?, auth?: 'valid'|'wrong'|'none'|'valid-x-api-key', note?} */
  async record(base, spec) {
    const auth = this.authHeader(spec.auth ?? (this.apiKey ? 'valid' : 'none'));
    const headers = {};
    if (spec.body !== undefined) headers['content-type'] = 'application/json';
    const res = await rawRequest(base, {
      method: spec.method,
      path: spec.path,
      headers: { ...headers, ...auth.real },
      body: spec.body,
    });
    return this.save(spec, { ...headers, ...auth.shown }, res);
  }

  /** Writes `<out>/<spec.name>.json` from a response already received; returns the response. */
  save(spec, shownHeaders, res) {
    const fixture = {
      recordedFrom: this.recordedFrom ?? `${this.engine} (version unknown)`,
      recordedAt: new Date().toISOString(),
      ...(spec.note ? { note: spec.note } : {}),
      request: {
        method: spec.method,
        path: spec.path,
        headers: shownHeaders,
        ...(spec.body !== undefined ? { body: spec.body } : {}),
      },
      response: {
        status: res.status,
        headers: res.headers,
        body: res.body,
        ...(res.error ? { error: res.error } : {}),
      },
    };
    const text = `${JSON.stringify(fixture, null, 2)}\n`;
    if (this.apiKey && text.includes(this.apiKey))
      die(`refusing to write ${spec.name}.json: it would contain the API key`);
    fs.mkdirSync(this.out, { recursive: true });
    fs.writeFileSync(path.join(this.out, `${spec.name}.json`), text);
    this.written.push(spec.name);
    const brief =
      res.body.length > 100 ? `${res.body.slice(0, 100).replace(/\n/g, '\\n')}...` : res.body.replace(/\n/g, '\\n');
    log(`${spec.name}: ${res.status ?? res.error}${res.error && res.status ? ` (${res.error})` : ''} ${brief}`);
    return res;
  }
}
