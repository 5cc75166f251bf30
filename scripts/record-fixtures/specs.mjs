// What each group records: a list of request specs {name, method, path, body?, auth?, note?}, one
// fixture file each.
import { CHAT, chatBody, longText, overflowBody, plainToolsBody, SYSTEM, toolsBody } from './request-bodies.mjs';

/** Every engine's basic endpoints and chat variants, against a plainly started server. */
export function mainSpecs(engine, model) {
  const specs = [
    { name: 'health', method: 'GET', path: '/health' },
    { name: 'models', method: 'GET', path: '/v1/models' },
  ];
  if (engine === 'llama-cpp') {
    specs.push({ name: 'props', method: 'GET', path: '/props' }, { name: 'slots', method: 'GET', path: '/slots' });
  }
  specs.push(
    { name: 'chat', method: 'POST', path: CHAT, body: chatBody(model) },
    {
      name: 'chat-stream',
      method: 'POST',
      path: CHAT,
      body: chatBody(model, { stream: true, stream_options: { include_usage: true } }),
    },
    { name: 'chat-stream-no-usage', method: 'POST', path: CHAT, body: chatBody(model, { stream: true }) },
    {
      name: 'chat-tools-no-template-support',
      note: "the model's own chat template has no tool support (see the tools group for real tool calls)",
      method: 'POST',
      path: CHAT,
      body: plainToolsBody(model, engine),
    },
    { name: 'bad-json', method: 'POST', path: CHAT, body: '{not json' },
  );
  if (engine === 'mlx') {
    specs.push(
      {
        name: 'unknown-model',
        method: 'POST',
        path: CHAT,
        body: chatBody(undefined, { model: 'does/not-exist' }),
      },
      {
        name: 'unknown-model-stream',
        method: 'POST',
        path: CHAT,
        body: chatBody(undefined, { model: 'does/not-exist', stream: true }),
      },
      {
        name: 'chat-stream-options-without-include-usage',
        note: 'stream_options present but without include_usage: mlx_lm.server reads stream_options["include_usage"] after the last token',
        method: 'POST',
        path: CHAT,
        body: chatBody(model, { stream: true, stream_options: {} }),
      },
    );
  }
  return specs;
}

/** Run against a server whose chat template supports tools (TOOL_TEMPLATE). */
export function toolsSpecs(engine, model) {
  return [
    { name: 'chat-tools', method: 'POST', path: CHAT, body: toolsBody(model, engine) },
    {
      name: 'chat-tools-stream',
      method: 'POST',
      path: CHAT,
      body: toolsBody(model, engine, { stream: true, stream_options: { include_usage: true } }),
    },
  ];
}

/** mlx only, against a server started with --prefill-step-size 256 (see runMlxSpawned). */
export function longPromptSpecs(model) {
  return [
    {
      name: 'long-prompt-stream',
      note: 'mlx_lm.server enforces no context limit (so there is no context-overflow fixture); a ~800-token prompt on a server started with --prefill-step-size 256 shows the ": keepalive N/M" comments it sends after each prompt-processing step',
      method: 'POST',
      path: CHAT,
      body: {
        ...(model ? { model } : {}),
        messages: [SYSTEM, { role: 'user', content: `Summarize this text in one sentence:\n\n${longText(600)}` }],
        max_tokens: 24,
        temperature: 0,
        stream: true,
      },
    },
  ];
}

/** llama-cpp only, against a server started with -c 256: prompts that do not fit. */
export function overflowSpecs(model) {
  return [
    { name: 'context-overflow', method: 'POST', path: CHAT, body: overflowBody(model) },
    {
      name: 'context-full-stream',
      note: 'the prompt fits but prompt + max_tokens does not: generation stops when the context is full',
      method: 'POST',
      path: CHAT,
      body: {
        ...(model ? { model } : {}),
        messages: [{ role: 'user', content: `Continue this story at length:\n${longText(120)}` }],
        max_tokens: 300,
        temperature: 0,
        stream: true,
      },
    },
    {
      name: 'context-overflow-stream',
      method: 'POST',
      path: CHAT,
      body: overflowBody(model, { stream: true, stream_options: { include_usage: true } }),
    },
  ];
}

/** llama-cpp only, against a server started with --api-key: no, wrong and valid keys. */
export function authSpecs(model) {
  return [
    { name: 'unauthorized-chat-no-key', method: 'POST', path: CHAT, body: chatBody(model), auth: 'none' },
    { name: 'unauthorized-chat-wrong-key', method: 'POST', path: CHAT, body: chatBody(model), auth: 'wrong' },
    { name: 'unauthorized-models-no-key', method: 'GET', path: '/v1/models', auth: 'none' },
    { name: 'unauthorized-models-wrong-key', method: 'GET', path: '/v1/models', auth: 'wrong' },
    { name: 'unauthorized-health-no-key', method: 'GET', path: '/health', auth: 'none' },
    { name: 'authorized-models-bearer', method: 'GET', path: '/v1/models', auth: 'valid' },
    { name: 'authorized-models-x-api-key', method: 'GET', path: '/v1/models', auth: 'valid-x-api-key' },
  ];
}
