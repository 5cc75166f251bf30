// The request bodies the recorder sends: one fixed conversation per scenario, deterministic
// (temperature 0), so a re-recording differs only where the engine changed.

/** The path every chat request goes to. */
export const CHAT = '/v1/chat/completions';

export const SYSTEM = { role: 'system', content: 'You are a helpful assistant.' };
const QUESTION = { role: 'user', content: 'What is the capital of France? Answer in one sentence.' };
const WEATHER_TOOL = {
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

/** A deterministic text; 2000 words overflow a 256-token (and a 2048-token) context. */
export function longText(words = 2000) {
  const vocab = (
    'the river runs past old stone houses where people gather every morning to trade bread fish ' +
    'apples and stories about distant mountains while children chase bright kites across the square'
  ).split(' ');
  const out = [];
  for (let i = 0; i < words; i++) out.push(vocab[(i * 7 + Math.floor(i / vocab.length)) % vocab.length]);
  return out.join(' ');
}

/** The one-sentence France question, with `extra` fields (stream, model, ...). */
export function chatBody(model, extra = {}) {
  return {
    ...(model ? { model } : {}),
    messages: [SYSTEM, QUESTION],
    max_tokens: 24,
    temperature: 0,
    ...extra,
  };
}

/** An assistant turn that called get_weather, as an OpenAI client sends it back. */
function pastToolCall(i, city, temperature) {
  return [
    {
      role: 'assistant',
      content: null,
      tool_calls: [
        { id: `call_${i}`, type: 'function', function: { name: 'get_weather', arguments: JSON.stringify({ city }) } },
      ],
    },
    { role: 'tool', tool_call_id: `call_${i}`, content: JSON.stringify({ temperature_c: temperature }) },
    { role: 'assistant', content: `It is ${temperature} °C in ${city}.` },
  ];
}

/**
 * SmolLM2-135M will not call a tool on its own, even with tool_choice "required" (llama-server's
 * grammar for it still allows free text before `<tool_call>`). Two earlier tool-calling turns plus a
 * logit_bias on SmolLM2 token ids (44 "<" up, 7639 "response" down so it does not write
 * `<tool_response>`; llama-cpp also 2 "<|im_end|>" up, which its grammar only allows after a complete
 * call, so it stops after one call) make it emit exactly one get_weather(Paris) call. Token ids are
 * SmolLM2's: recording with another model needs other ids (or none).
 */
export function toolsBody(model, engine, extra = {}) {
  return {
    ...(model ? { model } : {}),
    messages: [
      SYSTEM,
      { role: 'user', content: 'What is the weather like in London right now?' },
      ...pastToolCall(1, 'London', 14),
      { role: 'user', content: 'What is the weather like in Berlin right now?' },
      ...pastToolCall(2, 'Berlin', 9),
      { role: 'user', content: 'What is the weather like in Paris right now?' },
    ],
    tools: [WEATHER_TOOL],
    // mlx_lm.server does not read tool_choice at all, so it is only sent to llama-server.
    ...(engine === 'llama-cpp' ? { tool_choice: 'required' } : {}),
    max_tokens: 64,
    temperature: 0,
    logit_bias: engine === 'llama-cpp' ? { 44: 3, 2: 10, 7639: -20 } : { 44: 3, 7639: -20 },
    ...extra,
  };
}

/** The plain tools request (no history, no bias): shows what happens when the template lacks tools. */
export function plainToolsBody(model, engine) {
  return {
    ...(model ? { model } : {}),
    messages: [SYSTEM, { role: 'user', content: 'What is the weather like in Paris right now?' }],
    tools: [WEATHER_TOOL],
    ...(engine === 'llama-cpp' ? { tool_choice: 'required' } : {}),
    max_tokens: 24,
    temperature: 0,
  };
}

/** A ~2000-word prompt: more than a 256-token context holds. */
export function overflowBody(model, extra = {}) {
  return {
    ...(model ? { model } : {}),
    messages: [SYSTEM, { role: 'user', content: `Summarize this text in one sentence:\n\n${longText()}` }],
    max_tokens: 24,
    temperature: 0,
    ...extra,
  };
}
