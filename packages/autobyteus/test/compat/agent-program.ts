// An agent-style program written only against the autobyteus-ts LLM signatures: everything comes
// from 'autobyteus/compat', configuration from the environment (LLAMACPP_HOSTS, ...), as an
// autobyteus-ts agent would run. It keeps the conversation itself (the LLM is stateless), streams,
// collects tool-call fragments by index, runs the tool, sends the result and continues.
import {
  type ChunkResponse,
  LLMConfig,
  LLMFactory,
  LLMRuntime,
  LLMUserMessage,
  Message,
  MessageRole,
  type ModelInfo,
  type TokenUsage,
  ToolCallPayload,
  ToolResultPayload,
} from 'autobyteus/compat';

export const WEATHER_TOOL = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'Get the current weather for a city.',
    parameters: {
      type: 'object',
      properties: { city: { type: 'string', description: 'The city name, e.g. Paris' } },
      required: ['city'],
    },
  },
};

/** What the program saw, for the test to check. */
export interface AgentTranscript {
  models: ModelInfo[];
  modelIdentifier: string;
  plain: { chunks: number; text: string; usage: TokenUsage | null };
  toolCall: { callId: string; name: string; arguments: Record<string, unknown> } | null;
  toolRuns: string[];
  answer: { chunks: number; text: string; usage: TokenUsage | null };
  requestsMade: number;
}

interface StreamResult {
  text: string;
  chunks: number;
  usage: TokenUsage | null;
  calls: Map<number, { callId: string; name: string; argumentsText: string }>;
}

async function drain(stream: AsyncGenerator<ChunkResponse>): Promise<StreamResult> {
  const result: StreamResult = { text: '', chunks: 0, usage: null, calls: new Map() };
  for await (const chunk of stream) {
    result.chunks++;
    result.text += chunk.content;
    for (const delta of chunk.tool_calls ?? []) {
      const call = result.calls.get(delta.index) ?? { callId: '', name: '', argumentsText: '' };
      if (delta.call_id) call.callId = delta.call_id;
      if (delta.name) call.name = delta.name;
      call.argumentsText += delta.arguments_delta ?? '';
      result.calls.set(delta.index, call);
    }
    if (chunk.is_complete) result.usage = chunk.usage;
  }
  return result;
}

/**
 * Extra kwargs for the first (tool) turn and the turns after a tool result; they go onto the request
 * as autobyteus-ts passes unknown kwargs (e.g. `logit_bias` to steer a tiny model).
 */
export interface TurnKwargs {
  toolTurn?: Record<string, unknown>;
  answerTurn?: Record<string, unknown>;
}

/** Runs the program; `weather` is the tool's implementation. */
export async function runWeatherAgent(
  weather: (city: string) => Record<string, unknown>,
  extra: TurnKwargs = {},
): Promise<AgentTranscript> {
  await LLMFactory.ensureInitialized();
  const models = await LLMFactory.listModelsByRuntime(LLMRuntime.LLAMA_CPP);
  const modelIdentifier = models[0]?.model_identifier;
  if (!modelIdentifier) throw new Error('no llama.cpp model was discovered');
  const llm = await LLMFactory.createLLM(modelIdentifier, new LLMConfig({ temperature: 0, maxTokens: 48 }));
  let requestsMade = 0;

  // 1. A plain streamed answer.
  requestsMade++;
  const plain = await drain(llm.streamUserMessage(new LLMUserMessage({ content: 'What is the capital of France?' })));

  // 2. The agent loop: the model is offered the tool; a tiny model is made to use it (tool_choice).
  const history: Message[] = [
    new Message(MessageRole.SYSTEM, 'You are a helpful assistant. Use the tools to answer.'),
    new Message(MessageRole.USER, 'What is the weather like in Paris right now?'),
  ];
  const tools = [WEATHER_TOOL];
  let toolCall: AgentTranscript['toolCall'] = null;
  const toolRuns: string[] = [];
  let answer: StreamResult | undefined;
  for (let round = 0; round < 3 && !answer; round++) {
    requestsMade++;
    const kwargs = {
      ...(round === 0 ? extra.toolTurn : extra.answerTurn),
      tools,
      tool_choice: round === 0 ? 'required' : 'none',
      logicalConversationId: 'agent-1',
    };
    const turn = await drain(llm.streamMessages(history, null, kwargs, { turnId: `turn-${round}` }));
    const calls = [...turn.calls.values()];
    if (calls.length === 0) {
      answer = turn;
      history.push(new Message(MessageRole.ASSISTANT, turn.text));
      break;
    }
    const specs = calls.map((call) => ({
      id: call.callId,
      name: call.name,
      arguments: JSON.parse(call.argumentsText || '{}') as Record<string, unknown>,
    }));
    toolCall ??= { callId: specs[0]!.id, name: specs[0]!.name, arguments: specs[0]!.arguments };
    history.push(
      new Message(MessageRole.ASSISTANT, { content: turn.text || null, tool_payload: new ToolCallPayload(specs) }),
    );
    for (const spec of specs) {
      toolRuns.push(spec.name);
      const result = spec.name === 'get_weather' ? weather(String(spec.arguments.city ?? '')) : null;
      const error = result ? null : `unknown tool ${spec.name}`;
      history.push(
        new Message(MessageRole.TOOL, { tool_payload: new ToolResultPayload(spec.id, spec.name, result, error) }),
      );
    }
  }
  await llm.cleanup();
  return {
    models,
    modelIdentifier,
    plain: { chunks: plain.chunks, text: plain.text, usage: plain.usage },
    toolCall,
    toolRuns,
    answer: { chunks: answer?.chunks ?? 0, text: answer?.text ?? '', usage: answer?.usage ?? null },
    requestsMade,
  };
}
