/** The outcome of looking a model up by a name a person typed. */
export type NameMatch<T> =
  | { kind: 'found'; model: T }
  /** Several models answer to the name: the caller lists `candidates` (their ids) and refuses. */
  | { kind: 'ambiguous'; candidates: string[] }
  | { kind: 'none' };

/** Anything with an id and the names it answers to. */
export interface Named {
  id: string;
  names: readonly string[];
}

/**
 * Finds the model `requested` names: its exact id wins; else a model with that name (file stem,
 * catalog name, alias); else the same ignoring case. Two models with the same name are ambiguous at
 * that step, never resolved by guessing.
 */
export function matchModelName<T extends Named>(models: readonly T[], requested: string): NameMatch<T> {
  const byId = models.find((m) => m.id === requested);
  if (byId) return { kind: 'found', model: byId };
  const lower = requested.toLowerCase();
  for (const matches of [
    (m: T) => m.names.includes(requested),
    (m: T) => m.names.some((n) => n.toLowerCase() === lower),
  ]) {
    const hits = models.filter(matches);
    if (hits.length === 1) return { kind: 'found', model: hits[0] as T };
    if (hits.length > 1) return { kind: 'ambiguous', candidates: hits.map((m) => m.id) };
  }
  return { kind: 'none' };
}
