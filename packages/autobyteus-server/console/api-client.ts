import { errorMessage } from './read-json.js';

/**
 * sessionStorage, not localStorage: the token is a full admin credential (it loads and deletes
 * models). sessionStorage is scoped to this tab and dropped when it closes, so the token is not left
 * on disk in the browser profile for the next user of the machine or a later script on this origin.
 */
const TOKEN_KEY = 'autobyteus-console-token';

/** An API call that answered an error status; `message` is the server's OpenAI-style error message. */
export class ApiError extends Error {
  constructor(
    readonly path: string,
    readonly status: number,
    message: string,
  ) {
    super(`${path}: ${status} ${message}`);
    this.name = 'ApiError';
  }
}

/** What the client calls when the server answers 401 (the token prompt); resolves with a new token. */
export type AskToken = (reason: string) => Promise<string>;

/**
 * Every call to this server's API goes through here: same origin, `Authorization: Bearer <token>`
 * when one is kept, and on 401 the prompt, then the same request again with the new token.
 */
export class ApiClient {
  constructor(
    private readonly askToken: AskToken,
    private readonly storage: Storage = sessionStorage,
  ) {}

  token(): string | null {
    return this.storage.getItem(TOKEN_KEY);
  }

  forgetToken(): void {
    this.storage.removeItem(TOKEN_KEY);
  }

  /** `fetch` with the token. `init.body` must be a string (it may be sent twice). */
  async fetch(path: string, init: RequestInit = {}): Promise<Response> {
    for (;;) {
      const sent = this.token();
      const headers = new Headers(init.headers);
      if (sent) headers.set('authorization', `Bearer ${sent}`);
      const response = await fetch(path, { ...init, headers, credentials: 'omit' });
      if (response.status !== 401) return response;
      await response.body?.cancel();
      // Another call may have stored a fresh token while this one was in flight.
      if (this.token() !== sent) continue;
      const token = await this.askToken(
        sent ? 'The server refused this token. Enter the API token again.' : 'This server needs its API token.',
      );
      this.storage.setItem(TOKEN_KEY, token);
    }
  }

  /** A JSON answer; an error status becomes an {@link ApiError} with the server's message. */
  async json(path: string, init: RequestInit = {}): Promise<unknown> {
    const response = await this.fetch(path, init);
    const text = await response.text();
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = undefined;
    }
    if (!response.ok) throw new ApiError(path, response.status, errorMessage(body) ?? response.statusText);
    return body;
  }

  /** A text answer (`/metrics`). */
  async text(path: string): Promise<string> {
    const response = await this.fetch(path);
    const text = await response.text();
    if (!response.ok) throw new ApiError(path, response.status, response.statusText);
    return text;
  }

  /** POST with a JSON body. */
  post(path: string, body: unknown = {}): Promise<unknown> {
    return this.json(path, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  }
}
