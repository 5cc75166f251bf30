/**
 * GraphQL documents as autobyteus-web sends them (AutoByteus/autobyteus-workspace,
 * autobyteus-web/graphql/queries/llm_provider_queries.ts and mutations/llm_provider_mutations.ts):
 * the same operations, variables and selections, field for field, so the tests ask for exactly
 * what the web app asks for.
 */

const CREDENTIAL_STATUS = `credentialStatus {
          backendHealth
          storageState
          lifecycle
          instructionCode
        }`;

const PROVIDER = `provider {
        __typename
        id
        name
        providerType
        isCustom
        baseUrl
        ${CREDENTIAL_STATUS}
        status
        statusMessage
      }`;

const MEDIA_MODELS = `models {
        __typename
        modelIdentifier
        name
        value
        canonicalName
        providerId
        providerName
        providerType
        runtime
        hostUrl
      }`;

function mediaListing(field: string): string {
  return `${field}(runtimeKind: $runtimeKind) {
      __typename
      ${PROVIDER}
      ${MEDIA_MODELS}
    }`;
}

/** The newest web app's one query for its provider screens: LLM, audio, image and video listings. */
export const GET_AVAILABLE_LLM_PROVIDERS_WITH_MODELS = `
  query GetAvailableLLMProvidersWithModels($runtimeKind: String) {
    availableLlmProvidersWithModels(runtimeKind: $runtimeKind) {
      __typename
      ${PROVIDER}
      models {
        __typename
        modelIdentifier
        name
        description
        value
        canonicalName
        providerId
        providerName
        providerType
        runtime
        hostUrl
        configSchema
        maxContextTokens
        activeContextTokens
        maxInputTokens
        maxOutputTokens
        metadataProvenance
      }
    }
    ${mediaListing('availableAudioProvidersWithModels')}
    ${mediaListing('availableImageProvidersWithModels')}
    ${mediaListing('availableVideoProvidersWithModels')}
  }
`;

const EARLIER_PROVIDER = `provider {
        __typename
        id
        name
        providerType
        isCustom
        baseUrl
        apiKeyConfigured
        status
        statusMessage
      }`;

/** An earlier web release's version of the query: `apiKeyConfigured` instead of a credential status, no video. */
export const GET_AVAILABLE_LLM_PROVIDERS_WITH_MODELS_EARLIER = `
  query GetAvailableLLMProvidersWithModels($runtimeKind: String) {
    availableLlmProvidersWithModels(runtimeKind: $runtimeKind) {
      __typename
      ${EARLIER_PROVIDER}
      models {
        __typename
        modelIdentifier
        name
        value
        canonicalName
        providerId
        providerName
        providerType
        runtime
        hostUrl
        configSchema
        maxContextTokens
        activeContextTokens
        maxInputTokens
        maxOutputTokens
      }
    }
    availableAudioProvidersWithModels(runtimeKind: $runtimeKind) {
      __typename
      ${EARLIER_PROVIDER}
      ${MEDIA_MODELS}
    }
    availableImageProvidersWithModels(runtimeKind: $runtimeKind) {
      __typename
      ${EARLIER_PROVIDER}
      ${MEDIA_MODELS}
    }
  }
`;

export const RELOAD_LLM_MODELS = `
  mutation ReloadLLMModels($runtimeKind: String) {
    reloadLlmModels(runtimeKind: $runtimeKind)
  }
`;

export const RELOAD_LLM_PROVIDER_MODELS = `
  mutation ReloadLLMProviderModels($providerId: String!, $runtimeKind: String) {
    reloadLlmProviderModels(providerId: $providerId, runtimeKind: $runtimeKind)
  }
`;

/** A GraphQL response body as these tests read it. */
export interface GraphqlBody {
  data: Record<string, unknown> | null;
  errors?: Array<{ message: string; extensions?: { code?: string } }>;
}

/** POSTs one operation to `/graphql` over a real socket. */
export async function postGraphql(
  baseUrl: string,
  query: string,
  variables: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): Promise<{ status: number; body: GraphqlBody; headers: Headers }> {
  const response = await fetch(`${baseUrl}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query, variables }),
  });
  const text = await response.text();
  return { status: response.status, body: JSON.parse(text) as GraphqlBody, headers: response.headers };
}
