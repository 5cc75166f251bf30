import type { LLMFactory } from 'autobyteus';
import type { ModelServer } from '../serving/model-server.js';

/** What the GraphQL resolvers read: the hosts' registry and the server's own models. */
export interface GraphqlDeps {
  factory: LLMFactory;
  /** The server's local models, loaded on demand (absent when no engine is managed). */
  models?: ModelServer;
}

/** The `runtimeKind` argument every operation takes. */
export interface RuntimeKindArgs {
  runtimeKind?: string | null;
}
