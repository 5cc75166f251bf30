// The server's answers are data from another process: read field by field with a type check, so a
// field missing or of another type shows as absent instead of breaking a panel.

export type Json = Record<string, unknown>;

export function asObject(value: unknown): Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : {};
}

export function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

export function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

export function num(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/** The `error.message` of an OpenAI-style error body, if it is one. */
export function errorMessage(body: unknown): string | undefined {
  return str(asObject(asObject(body).error).message);
}
