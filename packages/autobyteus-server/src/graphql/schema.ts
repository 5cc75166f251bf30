/**
 * The GraphQL schema autobyteus-web's provider screens speak (operation names, arguments, field
 * names and nullability as autobyteus-server-ts declares them), so the web app can point at this
 * server. Only the provider/model part exists: a document naming any other field fails validation
 * as a whole. `docs/graphql.md` maps each field to where its value comes from.
 */
export const SCHEMA_SDL = /* GraphQL */ `
  "Any JSON value (a model's configuration schema)."
  scalar JSON

  "Where a model's token limits come from: LIVE = reported by the engine or read from the model file."
  enum ModelMetadataProvenance {
    LIVE
    CURATED_FALLBACK
    CURATED_ONLY
  }

  "A provider's credential as autobyteus-web shows it; keys live in this server's configuration."
  type CredentialStatusObject {
    "READY: the configuration holding the key is readable (it always is once the server runs)."
    backendHealth: String!
    "CONFIGURED or MISSING."
    storageState: String
    "EXTERNALLY_MANAGED: set in config.toml or the environment, not through the API."
    lifecycle: String
    instructionCode: String
    vaultHealth: String! @deprecated(reason: "older autobyteus-web releases; the same value as backendHealth")
  }

  "One host of a local runtime (or this server's own on-demand models of one engine)."
  type LlmProviderObject {
    id: String!
    name: String!
    providerType: String!
    isCustom: Boolean!
    baseUrl: String
    apiKeyConfigured: Boolean!
    credentialStatus: CredentialStatusObject
    "READY, STALE_ERROR (last refresh failed, last good models kept) or ERROR."
    status: String!
    statusMessage: String
  }

  type ModelDetail {
    modelIdentifier: String!
    name: String!
    description: String
    value: String!
    canonicalName: String!
    providerId: String!
    providerName: String!
    providerType: String!
    runtime: String!
    hostUrl: String
    configSchema: JSON
    maxContextTokens: Int
    activeContextTokens: Int
    maxInputTokens: Int
    maxOutputTokens: Int
    metadataProvenance: ModelMetadataProvenance
  }

  type ProviderWithModels {
    provider: LlmProviderObject!
    models: [ModelDetail!]!
  }

  type Query {
    "Every host of every local runtime with its models; runtimeKind: autobyteus (or none) = all, a runtime name (llama_cpp, mlx, ...) = that runtime."
    availableLlmProvidersWithModels(runtimeKind: String): [ProviderWithModels!]!
    "Always empty: this server serves no audio models."
    availableAudioProvidersWithModels(runtimeKind: String): [ProviderWithModels!]!
    "Always empty: this server serves no image models."
    availableImageProvidersWithModels(runtimeKind: String): [ProviderWithModels!]!
    "Always empty: this server serves no video models."
    availableVideoProvidersWithModels(runtimeKind: String): [ProviderWithModels!]!
  }

  type Mutation {
    "Probes every host again (the factory's reinitialize); the answer says what it found."
    reloadLlmModels(runtimeKind: String): String!
    "Probes the provider's runtime again and reports the provider's models."
    reloadLlmProviderModels(providerId: String!, runtimeKind: String): String!
  }
`;
