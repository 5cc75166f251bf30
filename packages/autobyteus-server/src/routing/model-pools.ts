import type { LLMFactory, LLMModel } from 'autobyteus';

/** Every host that serves one model, under the name the request used. */
export interface ModelPool {
  /** The pool's name: the model name its hosts share (or the identifier that pinned one host). */
  name: string;
  members: LLMModel[];
}

/**
 * The hosts a request for `requested` may go to: a full identifier (`name:runtime@host:port`) pins its
 * one host; otherwise every registered model with that name (or value, or an alias from config.toml's
 * `[models."name"]`), on any runtime and host, exact first, then ignoring case. Undefined when none.
 */
export function findPool(
  factory: LLMFactory,
  requested: string,
  aliases: Readonly<Record<string, readonly string[]>> = {},
): ModelPool | undefined {
  const pinned = factory.getModel(requested);
  if (pinned) return { name: requested, members: [pinned] };
  const models = factory.listAvailableModels();
  const namesOf = (m: LLMModel) => [m.name, m.value, ...(aliases[m.name] ?? [])];
  const lower = requested.toLowerCase();
  for (const matches of [
    (m: LLMModel) => namesOf(m).includes(requested),
    (m: LLMModel) => namesOf(m).some((n) => n.toLowerCase() === lower),
  ]) {
    const members = models.filter(matches);
    if (members.length > 0) return { name: (members[0] as LLMModel).name, members };
  }
  return undefined;
}
