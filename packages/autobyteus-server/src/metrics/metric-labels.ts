import { printable } from '../http/untrusted-text.js';
import { redactUrl } from '../io/redact-url.js';

/** The label value every model (or pool) name the server does not know is counted under. */
export const OTHER_MODEL = 'other';

/** Longest label value kept (longer ones are cut with a marker, like every echoed network text). */
export const MAX_LABEL_CHARS = 100;

/** Default bound on distinct model label values, whatever the known-model check says. */
export const DEFAULT_MAX_MODEL_LABELS = 200;

/** A label value from text that may have come from the network: printable ASCII, bounded length. */
export function cleanLabel(text: string): string {
  return printable(text, MAX_LABEL_CHARS);
}

/** A host label value: its URL without credentials or query values, cleaned. */
export function hostLabel(host: string): string {
  return cleanLabel(redactUrl(host));
}

/**
 * Model and pool label values. Model names arrive in request bodies, so every distinct value would be
 * a new time series: only names the server knows become labels (`isKnownModel`), everything else is
 * {@link OTHER_MODEL}. A hard cap on distinct values backs the check up, so even a check that says
 * yes too often cannot grow the registry without bound.
 */
export class ModelLabels {
  private readonly seen = new Set<string>();

  constructor(
    private readonly isKnownModel: ((name: string) => boolean) | undefined,
    private readonly maxValues = DEFAULT_MAX_MODEL_LABELS,
  ) {}

  /** The label value for `name`: its cleaned form when known (and under the cap), else `other`. */
  value(name: string): string {
    if (name === '' || (this.isKnownModel && !this.isKnownModel(name))) return OTHER_MODEL;
    const clean = cleanLabel(name);
    if (this.seen.has(clean)) return clean;
    if (this.seen.size >= this.maxValues) return OTHER_MODEL;
    this.seen.add(clean);
    return clean;
  }
}
