#!/usr/bin/env node
// record-fixtures.mjs: records what REAL local engines (llama-server, mlx_lm.server) answer, byte for
// byte, so that the test suite's stub HTTP servers on 127.0.0.1 can replay it.
//
// ## Re-recording
//
// Prepare the engines first (`bash scripts/prepare-test-engines.sh`; everything lands in
// ~/.cache/autobyteus-test). Then, the easy way, let this script start and stop the servers itself:
//
//   node scripts/record-fixtures.mjs --engine llama-cpp --out packages/autobyteus/test/fixtures/llama-cpp \
//     --spawn-llama-server ~/.cache/autobyteus-test/llama-server/bin/llama-server \
//     --model-path ~/.cache/autobyteus-test/models/SmolLM2-135M-Instruct.Q4_1.gguf
//
//   node scripts/record-fixtures.mjs --engine mlx --out packages/autobyteus/test/fixtures/mlx \
//     --spawn-mlx-server ~/.cache/autobyteus-test/mlx-venv/bin/python \
//     --model-path ~/.cache/autobyteus-test/hf-cache/models--autobyteus-test--SmolLM2-135M-Instruct-mlx/snapshots/<hash> \
//     --hf-cache ~/.cache/autobyteus-test/hf-cache
//
// With --spawn-* the script runs every group below, each against a freshly started server with the
// flags that group needs, on --port (llama-cpp default 18080, mlx 18001; router mode uses port+1),
// and kills every server it started before exiting (also on Ctrl-C).
//
// The manual way: start a server yourself and point the script at it with --base; --group picks
// which requests to send (default `main`). Start the server as each group needs:
//
//   llama-cpp  main      llama-server -m GGUF --alias SmolLM2-135M-Instruct --host 127.0.0.1 --port 18080 -c 2048
//              tools     same with --chat-template-file T, where T is written by
//                        `node scripts/record-fixtures.mjs --print-tool-template > T` (SmolLM2's own
//                        template has no tool support, so llama-server would ignore `tools`)
//              overflow  same with -c 256 (the ~2000-word prompt must not fit)
//              auth      same with --api-key test-key-123, and pass --api-key test-key-123 here
//              loading   run the script within ~100 ms of starting the server (it polls until it sees
//                        the 503 "Loading model" answer); in practice only --spawn-llama-server catches it
//              router    llama-server --models-dir DIR_WITH_GGUF --host 127.0.0.1 --port 18081 (no -m)
//   mlx        main      HF_HUB_CACHE=... HF_HUB_OFFLINE=1 python -m mlx_lm.server --model DIR --host 127.0.0.1 --port 18001
//              tools     same, with a model folder whose tokenizer_config.json chat_template is the
//                        --print-tool-template one (the spawn mode builds that folder itself, from links)
//              long-prompt  same with --prefill-step-size 256 (so the keep-alive comments show)
//              empty-cache  same with HF_HUB_CACHE pointing at a folder that does not exist
//
// --group also works with --spawn-* (comma-separated) to re-record only some groups: llama-cpp
// loading,main,tools,overflow,auth,router; mlx loading,main,tools,long-prompt,empty-cache.
//
// Other options: --model ID (the `model` sent in request bodies; default: the first id of /v1/models),
// --api-key K (sent where a group needs a valid key; never written to a fixture: fixtures show the
// placeholder `Bearer <api-key>`), --recorded-from TEXT (overrides the engine/version string),
// --python PY (manual mlx: the server's interpreter, to read the mlx-lm version), --alias NAME,
// --log-dir DIR (where spawned servers' stderr/stdout go; default a temp folder).
//
// Not recorded, because they make no sense there: llama-cpp `unknown-model` (single-model mode ignores
// `model`; see router-unknown-model instead). mlx: `props`, `slots` (no such endpoints), `unauthorized`
// (mlx_lm.server has no auth), `context-overflow` (it enforces no context limit: `long-prompt-stream`
// instead), the 503 `loading` answer (its /health reports the generation thread, not the model;
// `loading-health` is just the first answer after spawning).
//
// Each request becomes `<out>/<name>.json`:
//   {"recordedFrom", "recordedAt", "note"?, "request": {"method","path","headers","body"},
//    "response": {"status","headers","body": "<exact raw body text>"}}
// `request.body` is the parsed JSON that was sent (JSON.stringify of it is the exact bytes sent) or the
// raw string when the body is not JSON. `response.headers` has every response header except `date`.
// When the server closed the connection without an answer, `response.status` is null and
// `response.error` says what happened; a body cut short carries `response.error` too.
// Uses node:http (not fetch) so that nothing is decoded or re-framed on the way.

import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';

// ---------- command line ----------

function parseArgs(argv) {
  const out = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) die(`unexpected argument: ${a}`);
    const key = a.slice(2);
    if (key === 'help' || key === 'print-tool-template') {
      out[key] = true;
      continue;
    }
    const v = argv[i + 1];
    if (v === undefined || v.startsWith('--')) die(`option --${key} needs a value`);
    out[key] = v;
    i++;
  }
  return out;
}

function die(msg) {
  console.error(`record-fixtures: ${msg}`);
  process.exit(2);
}

function log(msg) {
  console.error(`[record-fixtures] ${msg}`);
}

const args = parseArgs(process.argv.slice(2));
if (args.help) {
  const src = fs.readFileSync(new URL(import.meta.url), 'utf8');
  const lines = src.split('\n').slice(1);
  const end = lines.findIndex((l) => !l.startsWith('//'));
  console.log(
    lines
      .slice(0, end)
      .map((l) => l.replace(/^\/\/ ?/, ''))
      .join('\n'),
  );
  process.exit(0);
}
if (args['print-tool-template']) {
  // Defined further down; hoisted as a function so it can run before the engine checks.
  process.stdout.write(toolTemplate());
  process.exit(0);
}
const ENGINE = args.engine;
if (ENGINE !== 'llama-cpp' && ENGINE !== 'mlx') die('--engine must be llama-cpp or mlx');
if (!args.out) die('--out DIR is required');
const OUT = path.resolve(args.out);
const SPAWN_BIN = ENGINE === 'llama-cpp' ? args['spawn-llama-server'] : args['spawn-mlx-server'];
if (!SPAWN_BIN && !args.base) die('give --base URL (a running server) or --spawn-llama-server/--spawn-mlx-server');
if (SPAWN_BIN && !args['model-path']) die('--model-path is required with --spawn-*');
let API_KEY = args['api-key']; // the spawned auth group sets it to the key it started the server with
const PORT = Number(args.port ?? (ENGINE === 'llama-cpp' ? 18080 : 18001));
const LOG_DIR = args['log-dir'] ?? fs.mkdtempSync(path.join(os.tmpdir(), 'record-fixtures-'));
const API_KEY_PLACEHOLDER = '<api-key>';

// ---------- raw HTTP ----------

/**
 * Sends one request with node:http and resolves (never rejects) with
 * {status, headers, body, error?}. `body` is the exact response text, however it was framed.
 */
function rawRequest(base, { method, path: p, headers = {}, body }, timeoutMs = 600_000) {
  return new Promise((resolve) => {
    const url = new URL(p, base);
    const payload =
      body === undefined ? undefined : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body), 'utf8');
    const h = { ...headers };
    if (payload) h['content-length'] = String(payload.length);
    let settled = false;
    const finish = (v) => {
      if (!settled) {
        settled = true;
        resolve(v);
      }
    };
    const req = http.request(
      { host: url.hostname, port: url.port, path: url.pathname + url.search, method, headers: h, agent: false },
      (res) => {
        const chunks = [];
        const headersOut = {};
        for (let i = 0; i < res.rawHeaders.length; i += 2) {
          const name = res.rawHeaders[i].toLowerCase();
          if (name === 'date') continue;
          headersOut[name] =
            headersOut[name] === undefined ? res.rawHeaders[i + 1] : `${headersOut[name]}, ${res.rawHeaders[i + 1]}`;
        }
        const done = (error) =>
          finish({
            status: res.statusCode,
            headers: headersOut,
            body: Buffer.concat(chunks).toString('utf8'),
            ...(error ? { error } : {}),
          });
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => done());
        res.on('error', (e) => done(`${e.code ?? 'error'}: ${e.message}`));
        res.on('aborted', () => done('connection closed before the response ended'));
        res.on('close', () => done(res.complete ? undefined : 'connection closed before the response ended'));
      },
    );
    req.on('error', (e) =>
      finish({ status: null, headers: {}, body: '', error: `${e.code ?? 'error'}: ${e.message}` }),
    );
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    if (payload) req.write(payload);
    req.end();
  });
}

// ---------- fixtures ----------

let recordedFrom = args['recorded-from'] ?? null;
const written = [];

function authHeader(kind) {
  if (kind === 'valid') {
    if (!API_KEY) die('this group needs --api-key');
    return { real: { authorization: `Bearer ${API_KEY}` }, shown: { authorization: `Bearer ${API_KEY_PLACEHOLDER}` } };
  }
  if (kind === 'valid-x-api-key') {
    if (!API_KEY) die('this group needs --api-key');
    return { real: { 'x-api-key': API_KEY }, shown: { 'x-api-key': API_KEY_PLACEHOLDER } };
  }
  if (kind === 'wrong')
    return { real: { authorization: 'Bearer wrong-key' }, shown: { authorization: 'Bearer wrong-key' } };
  return { real: {}, shown: {} };
}

/** spec: {name, method, path, body?, auth?: 'valid'|'wrong'|'none'|'valid-x-api-key', note?} */
async function record(base, spec) {
  const auth = authHeader(spec.auth ?? (API_KEY ? 'valid' : 'none'));
  const headers = {};
  if (spec.body !== undefined) headers['content-type'] = 'application/json';
  const res = await rawRequest(base, {
    method: spec.method,
    path: spec.path,
    headers: { ...headers, ...auth.real },
    body: spec.body,
  });
  return save(spec, { ...headers, ...auth.shown }, res);
}

function save(spec, shownHeaders, res) {
  const fixture = {
    recordedFrom: recordedFrom ?? `${ENGINE} (version unknown)`,
    recordedAt: new Date().toISOString(),
    ...(spec.note ? { note: spec.note } : {}),
    request: {
      method: spec.method,
      path: spec.path,
      headers: shownHeaders,
      ...(spec.body !== undefined ? { body: spec.body } : {}),
    },
    response: {
      status: res.status,
      headers: res.headers,
      body: res.body,
      ...(res.error ? { error: res.error } : {}),
    },
  };
  const text = `${JSON.stringify(fixture, null, 2)}\n`;
  if (API_KEY && text.includes(API_KEY)) die(`refusing to write ${spec.name}.json: it would contain the API key`);
  fs.mkdirSync(OUT, { recursive: true });
  fs.writeFileSync(path.join(OUT, `${spec.name}.json`), text);
  written.push(spec.name);
  const brief =
    res.body.length > 100 ? `${res.body.slice(0, 100).replace(/\n/g, '\\n')}...` : res.body.replace(/\n/g, '\\n');
  log(`${spec.name}: ${res.status ?? res.error}${res.error && res.status ? ` (${res.error})` : ''} ${brief}`);
  return res;
}

// ---------- request bodies ----------

const SYSTEM = { role: 'system', content: 'You are a helpful assistant.' };
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

/**
 * SmolLM2's own chat template has no tool support: llama-server then ignores `tools` and `tool_choice`
 * (recorded as chat-tools-no-template-support), and mlx_lm.server finds no tool parser. The `tools`
 * group therefore starts the engine with this chatml template that does support tools: Qwen2.5's,
 * verbatim from llama.cpp `models/templates/Qwen-Qwen2.5-7B-Instruct.jinja` (same <|im_start|> tokens
 * as SmolLM2). llama-server reads it as the Hermes `<tool_call>` format; mlx_lm picks its `json_tools`
 * parser for it.
 */
const TOOL_TEMPLATE = toolTemplate();
function toolTemplate() {
  return String.raw`{%- if tools %}
    {{- '<|im_start|>system\n' }}
    {%- if messages[0]['role'] == 'system' %}
        {{- messages[0]['content'] }}
    {%- else %}
        {{- 'You are Qwen, created by Alibaba Cloud. You are a helpful assistant.' }}
    {%- endif %}
    {{- "\n\n# Tools\n\nYou may call one or more functions to assist with the user query.\n\nYou are provided with function signatures within <tools></tools> XML tags:\n<tools>" }}
    {%- for tool in tools %}
        {{- "\n" }}
        {{- tool | tojson }}
    {%- endfor %}
    {{- "\n</tools>\n\nFor each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:\n<tool_call>\n{\"name\": <function-name>, \"arguments\": <args-json-object>}\n</tool_call><|im_end|>\n" }}
{%- else %}
    {%- if messages[0]['role'] == 'system' %}
        {{- '<|im_start|>system\n' + messages[0]['content'] + '<|im_end|>\n' }}
    {%- else %}
        {{- '<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n' }}
    {%- endif %}
{%- endif %}
{%- for message in messages %}
    {%- if (message.role == "user") or (message.role == "system" and not loop.first) or (message.role == "assistant" and not message.tool_calls) %}
        {{- '<|im_start|>' + message.role + '\n' + message.content + '<|im_end|>' + '\n' }}
    {%- elif message.role == "assistant" %}
        {{- '<|im_start|>' + message.role }}
        {%- if message.content %}
            {{- '\n' + message.content }}
        {%- endif %}
        {%- for tool_call in message.tool_calls %}
            {%- if tool_call.function is defined %}
                {%- set tool_call = tool_call.function %}
            {%- endif %}
            {{- '\n<tool_call>\n{"name": "' }}
            {{- tool_call.name }}
            {{- '", "arguments": ' }}
            {{- tool_call.arguments | tojson }}
            {{- '}\n</tool_call>' }}
        {%- endfor %}
        {{- '<|im_end|>\n' }}
    {%- elif message.role == "tool" %}
        {%- if (loop.index0 == 0) or (messages[loop.index0 - 1].role != "tool") %}
            {{- '<|im_start|>user' }}
        {%- endif %}
        {{- '\n<tool_response>\n' }}
        {{- message.content }}
        {{- '\n</tool_response>' }}
        {%- if loop.last or (messages[loop.index0 + 1].role != "tool") %}
            {{- '<|im_end|>\n' }}
        {%- endif %}
    {%- endif %}
{%- endfor %}
{%- if add_generation_prompt %}
    {{- '<|im_start|>assistant\n' }}
{%- endif %}
`;
}

/** A deterministic text; 2000 words overflow a 256-token (and a 2048-token) context. */
function longText(words = 2000) {
  const vocab = (
    'the river runs past old stone houses where people gather every morning to trade bread fish ' +
    'apples and stories about distant mountains while children chase bright kites across the square'
  ).split(' ');
  const out = [];
  for (let i = 0; i < words; i++) out.push(vocab[(i * 7 + Math.floor(i / vocab.length)) % vocab.length]);
  return out.join(' ');
}

function chatBody(model, extra = {}) {
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
function toolsBody(model, engine, extra = {}) {
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
function plainToolsBody(model, engine) {
  return {
    ...(model ? { model } : {}),
    messages: [SYSTEM, { role: 'user', content: 'What is the weather like in Paris right now?' }],
    tools: [WEATHER_TOOL],
    ...(engine === 'llama-cpp' ? { tool_choice: 'required' } : {}),
    max_tokens: 24,
    temperature: 0,
  };
}

function overflowBody(model, extra = {}) {
  return {
    ...(model ? { model } : {}),
    messages: [SYSTEM, { role: 'user', content: `Summarize this text in one sentence:\n\n${longText()}` }],
    max_tokens: 24,
    temperature: 0,
    ...extra,
  };
}

const CHAT = '/v1/chat/completions';

function mainSpecs(engine, model) {
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
function toolsSpecs(engine, model) {
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
function longPromptSpecs(model) {
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

function overflowSpecs(model) {
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

function authSpecs(model) {
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

// ---------- helpers against a server ----------

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function firstModelId(base) {
  const res = await rawRequest(base, {
    method: 'GET',
    path: '/v1/models',
    headers: API_KEY ? { authorization: `Bearer ${API_KEY}` } : {},
  });
  try {
    return JSON.parse(res.body).data[0].id;
  } catch {
    die(`could not read a model id from ${base}/v1/models (status ${res.status}): ${res.body.slice(0, 200)}`);
  }
}

async function waitHealthy(base, timeoutMs = 120_000, child) {
  const t0 = Date.now();
  while (Date.now() - t0 < timeoutMs) {
    if (child && child.exitCode !== null) die(`server exited early with code ${child.exitCode}; see ${LOG_DIR}`);
    const r = await rawRequest(base, { method: 'GET', path: '/health' }, 2000);
    if (r.status === 200) return;
    await sleep(200);
  }
  die(`${base}/health did not answer 200 within ${timeoutMs} ms`);
}

async function llamaRecordedFrom(base) {
  let build = 'unknown build';
  const r = await rawRequest(base, {
    method: 'GET',
    path: '/props',
    headers: API_KEY ? { authorization: `Bearer ${API_KEY}` } : {},
  });
  try {
    build = JSON.parse(r.body).build_info ?? build;
  } catch {}
  let version = '';
  if (SPAWN_BIN) {
    const v = spawnSync(SPAWN_BIN, ['--version'], { encoding: 'utf8', env: { ...process.env, ...libEnv(SPAWN_BIN) } });
    const line = `${v.stdout}\n${v.stderr}`.split('\n').find((l) => l.startsWith('version:'));
    if (line) version = `${line.replace(/^version:\s*/, '')}, `;
  }
  return `llama-server ${version}build_info ${build}`;
}

function mlxRecordedFrom(python) {
  const v = spawnSync(
    python,
    ['-c', 'import mlx_lm, mlx.core as mx; print(f"mlx-lm {mlx_lm.__version__}, mlx {mx.__version__}")'],
    { encoding: 'utf8' },
  );
  return `mlx_lm.server (${v.status === 0 ? v.stdout.trim() : 'version unknown'})`;
}

// ---------- spawning ----------

const children = new Set();

/** llama-server needs its shared libraries (in its own folder); a build's RUNPATH may point elsewhere. */
function libEnv(bin) {
  if (ENGINE !== 'llama-cpp') return {};
  const dir = path.dirname(fs.realpathSync(bin));
  return { LD_LIBRARY_PATH: [dir, process.env.LD_LIBRARY_PATH].filter(Boolean).join(':') };
}

function startServer(label, bin, argv, env = {}) {
  const logFile = path.join(LOG_DIR, `${label}.log`);
  const fd = fs.openSync(logFile, 'w');
  log(`starting ${label}: ${bin} ${argv.join(' ')} (log: ${logFile})`);
  const child = spawn(bin, argv, { stdio: ['ignore', fd, fd], env: { ...process.env, ...libEnv(bin), ...env } });
  fs.closeSync(fd);
  children.add(child);
  child.on('exit', () => children.delete(child));
  return child;
}

async function stopServer(child) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), 8000);
  await exited;
  clearTimeout(t);
}

function killAllNow() {
  for (const c of children) {
    try {
      c.kill('SIGKILL');
    } catch {}
  }
}
process.on('exit', killAllNow);
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    killAllNow();
    process.exit(130);
  });
}

async function waitPort(base, child, timeoutMs = 60_000) {
  const t0 = Date.now();
  while (Date.now() - t0 < timeoutMs) {
    if (child.exitCode !== null) die(`server exited early with code ${child.exitCode}; see ${LOG_DIR}`);
    const r = await rawRequest(base, { method: 'GET', path: '/health' }, 1000);
    if (r.status !== null) return r;
    await sleep(5);
  }
  die(`nothing listened at ${base} within ${timeoutMs} ms`);
}

// ---------- llama-cpp ----------

function llamaAlias(gguf) {
  return path
    .basename(gguf)
    .replace(/\.gguf$/i, '')
    .replace(/\.(Q\d\w*|F16|F32|BF16|IQ\w+)$/i, '');
}

async function llamaLoadingGroup(base, child) {
  // The socket is bound before the model loads: poll as fast as possible and keep the first 503s.
  const want = [
    { name: 'loading-health', method: 'GET', path: '/health' },
    { name: 'loading-models', method: 'GET', path: '/v1/models' },
    { name: 'loading-chat', method: 'POST', path: CHAT, body: chatBody(undefined) },
  ];
  const got = new Map();
  const t0 = Date.now();
  while (got.size < want.length && Date.now() - t0 < 30_000) {
    if (child.exitCode !== null) die(`llama-server exited early (${child.exitCode}); see ${LOG_DIR}`);
    const results = await Promise.all(
      want
        .filter((s) => !got.has(s.name))
        .map(async (s) => {
          const headers = s.body !== undefined ? { 'content-type': 'application/json' } : {};
          return [s, headers, await rawRequest(base, { ...s, headers }, 5000)];
        }),
    );
    let ready = false;
    for (const [s, headers, r] of results) {
      if (r.status === 503) got.set(s.name, [s, headers, r]);
      else if (r.status !== null) ready = true;
    }
    if (ready && got.size < want.length) break;
  }
  for (const s of want) {
    if (!got.has(s.name)) log(`${s.name}: the model loaded before a 503 was caught; not recorded`);
  }
  // Saved by the caller once the server is ready and its version (/props build_info) can be read.
  return () => {
    for (const [spec, headers, r] of got.values()) save(spec, headers, r);
  };
}

async function runLlamaSpawned() {
  const bin = SPAWN_BIN;
  const gguf = path.resolve(args['model-path']);
  const alias = args.alias ?? llamaAlias(gguf);
  const base = `http://127.0.0.1:${PORT}`;
  const common = ['-m', gguf, '--alias', alias, '--host', '127.0.0.1', '--port', String(PORT)];
  const only = args.group ? new Set(args.group.split(',')) : null;
  const want = (g) => !only || only.has(g);

  // 1. loading + main: -c 2048, no key.
  if (want('main') || want('loading')) {
    const child = startServer('llama-main', bin, [...common, '-c', '2048']);
    await waitPort(base, child);
    const saveLoading = want('loading') ? await llamaLoadingGroup(base, child) : () => {};
    await waitHealthy(base, 120_000, child);
    recordedFrom = args['recorded-from'] ?? (await llamaRecordedFrom(base));
    saveLoading();
    if (want('main')) {
      const model = args.model ?? (await firstModelId(base));
      for (const s of mainSpecs('llama-cpp', model)) await record(base, { ...s, auth: 'none' });
    }
    await stopServer(child);
  }

  // 2. tools: a chat template with tool support.
  if (want('tools')) {
    const tpl = path.join(LOG_DIR, 'tool-template.jinja');
    fs.writeFileSync(tpl, TOOL_TEMPLATE);
    const child = startServer('llama-tools', bin, [...common, '-c', '2048', '--chat-template-file', tpl]);
    await waitHealthy(base, 120_000, child);
    recordedFrom = args['recorded-from'] ?? (await llamaRecordedFrom(base));
    const model = args.model ?? (await firstModelId(base));
    for (const s of toolsSpecs('llama-cpp', model)) await record(base, { ...s, auth: 'none' });
    await stopServer(child);
  }

  // 3. overflow: -c 256.
  if (want('overflow')) {
    const child = startServer('llama-overflow', bin, [...common, '-c', '256']);
    await waitHealthy(base, 120_000, child);
    recordedFrom = args['recorded-from'] ?? (await llamaRecordedFrom(base));
    const model = args.model ?? (await firstModelId(base));
    for (const s of overflowSpecs(model)) await record(base, { ...s, auth: 'none' });
    await stopServer(child);
  }

  // 4. auth: --api-key.
  if (want('auth')) {
    const key = API_KEY ?? 'test-key-123';
    const child = startServer('llama-auth', bin, [...common, '-c', '2048', '--api-key', key]);
    await waitHealthy(base, 120_000, child);
    const saved = API_KEY;
    API_KEY = key;
    recordedFrom = args['recorded-from'] ?? (await llamaRecordedFrom(base));
    const model = args.model ?? (await firstModelId(base));
    for (const s of authSpecs(model)) await record(base, s);
    API_KEY = saved;
    await stopServer(child);
  }

  // 5. router: no -m, --models-dir with the GGUF linked in.
  if (want('router')) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'record-fixtures-models-'));
    fs.symlinkSync(gguf, path.join(dir, path.basename(gguf)));
    const rbase = `http://127.0.0.1:${PORT + 1}`;
    const child = startServer('llama-router', bin, [
      '--models-dir',
      dir,
      '--host',
      '127.0.0.1',
      '--port',
      String(PORT + 1),
      '-c',
      '2048',
    ]);
    await waitHealthy(rbase, 120_000, child);
    await routerGroup(rbase);
    await stopServer(child);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function routerGroup(base) {
  const r = await record(base, { name: 'router-models', method: 'GET', path: '/v1/models' });
  let id;
  try {
    id = JSON.parse(r.body).data[0].id;
  } catch {
    log('router-models: no model listed; skipping router-load');
    return;
  }
  await record(base, { name: 'router-props', method: 'GET', path: '/props' });
  await record(base, { name: 'router-load', method: 'POST', path: '/models/load', body: { model: id } });
  // Poll until the child instance reports loaded, then keep that listing.
  const t0 = Date.now();
  let last;
  while (Date.now() - t0 < 60_000) {
    last = await rawRequest(base, { method: 'GET', path: '/v1/models' });
    try {
      const m = JSON.parse(last.body).data.find((d) => d.id === id);
      if (m?.status?.value === 'loaded' || m?.status?.value === 'failed') break;
    } catch {}
    await sleep(250);
  }
  save({ name: 'router-models-loaded', method: 'GET', path: '/v1/models' }, {}, last);
  await record(base, { name: 'router-chat', method: 'POST', path: CHAT, body: chatBody(id) });
  await record(base, {
    name: 'router-unknown-model',
    method: 'POST',
    path: CHAT,
    body: chatBody(undefined, { model: 'does-not-exist' }),
  });
}

async function runLlamaManual() {
  const base = args.base;
  const group = args.group ?? 'main';
  if (group === 'loading') {
    // No child to watch: poll the given server directly.
    const saveLoading = await llamaLoadingGroup(base, { exitCode: null });
    await waitHealthy(base);
    recordedFrom = args['recorded-from'] ?? (await llamaRecordedFrom(base));
    saveLoading();
    return;
  }
  if (group === 'router') {
    recordedFrom = args['recorded-from'] ?? (await llamaRecordedFrom(base));
    await routerGroup(base);
    return;
  }
  recordedFrom = args['recorded-from'] ?? (await llamaRecordedFrom(base));
  const model = args.model ?? (await firstModelId(base));
  const specs =
    group === 'main'
      ? mainSpecs('llama-cpp', model)
      : group === 'overflow'
        ? overflowSpecs(model)
        : group === 'auth'
          ? authSpecs(model)
          : group === 'tools'
            ? toolsSpecs('llama-cpp', model)
            : die(`unknown --group ${group} for llama-cpp (main, tools, overflow, auth, loading, router)`);
  for (const s of specs) await record(base, s);
}

// ---------- mlx ----------

async function mlxWarmUp(base) {
  // /health says nothing about the model being loaded: a 1-token completion does.
  const r = await rawRequest(base, {
    method: 'POST',
    path: CHAT,
    headers: { 'content-type': 'application/json' },
    body: { messages: [{ role: 'user', content: 'hi' }], max_tokens: 1 },
  });
  if (r.status !== 200) die(`mlx warm-up failed: ${r.status ?? r.error} ${r.body.slice(0, 300)}`);
}

async function runMlxSpawned() {
  const python = SPAWN_BIN;
  const modelDir = path.resolve(args['model-path']);
  const base = `http://127.0.0.1:${PORT}`;
  const argv = ['-m', 'mlx_lm.server', '--model', modelDir, '--host', '127.0.0.1', '--port', String(PORT)];
  const hfCache = args['hf-cache'] ? path.resolve(args['hf-cache']) : process.env.HF_HUB_CACHE;
  const only = args.group ? new Set(args.group.split(',')) : null;
  const want = (g) => !only || only.has(g);
  recordedFrom = args['recorded-from'] ?? mlxRecordedFrom(python);

  if (want('main')) {
    const env = { HF_HUB_OFFLINE: '1', ...(hfCache ? { HF_HUB_CACHE: hfCache } : {}) };
    const child = startServer('mlx-main', python, argv, env);
    const first = await waitPort(base, child, 120_000);
    if (want('loading')) {
      save(
        {
          name: 'loading-health',
          note: 'the first /health answer the moment the socket accepted connections after spawning',
          method: 'GET',
          path: '/health',
        },
        {},
        first,
      );
    }
    await waitHealthy(base, 120_000, child);
    await mlxWarmUp(base);
    const model = args.model ?? (await firstModelId(base));
    for (const s of mainSpecs('mlx', model)) await record(base, s);
    await stopServer(child);
  }

  if (want('tools')) {
    // A copy of the model folder (files linked, not copied) whose tokenizer carries TOOL_TEMPLATE.
    const variant = fs.mkdtempSync(path.join(os.tmpdir(), 'record-fixtures-mlx-tools-'));
    for (const f of fs.readdirSync(modelDir)) {
      if (f === 'tokenizer_config.json' || f === 'chat_template.jinja' || f === 'chat_template.json') continue;
      fs.symlinkSync(fs.realpathSync(path.join(modelDir, f)), path.join(variant, f));
    }
    const tc = JSON.parse(fs.readFileSync(path.join(modelDir, 'tokenizer_config.json'), 'utf8'));
    tc.chat_template = TOOL_TEMPLATE;
    fs.writeFileSync(path.join(variant, 'tokenizer_config.json'), JSON.stringify(tc, null, 2));
    const env = { HF_HUB_OFFLINE: '1', ...(hfCache ? { HF_HUB_CACHE: hfCache } : {}) };
    const vargv = ['-m', 'mlx_lm.server', '--model', variant, '--host', '127.0.0.1', '--port', String(PORT)];
    const child = startServer('mlx-tools', python, vargv, env);
    await waitHealthy(base, 120_000, child);
    await mlxWarmUp(base);
    // No `model` in the body: "default_model" is the variant folder (a temp path not worth recording).
    for (const s of toolsSpecs('mlx', undefined)) await record(base, s);
    await stopServer(child);
    fs.rmSync(variant, { recursive: true, force: true });
  }

  if (want('long-prompt')) {
    const env = { HF_HUB_OFFLINE: '1', ...(hfCache ? { HF_HUB_CACHE: hfCache } : {}) };
    const child = startServer('mlx-long-prompt', python, [...argv, '--prefill-step-size', '256'], env);
    await waitHealthy(base, 120_000, child);
    await mlxWarmUp(base);
    const model = args.model ?? (await firstModelId(base));
    for (const s of longPromptSpecs(model)) await record(base, s);
    await stopServer(child);
  }

  if (want('empty-cache')) {
    const missing = path.join(os.tmpdir(), `record-fixtures-no-such-hf-cache-${process.pid}`);
    fs.rmSync(missing, { recursive: true, force: true });
    const child = startServer('mlx-empty-cache', python, argv, { HF_HUB_OFFLINE: '1', HF_HUB_CACHE: missing });
    await waitHealthy(base, 120_000, child);
    await record(base, {
      name: 'models-empty-cache',
      note: 'server started with HF_HUB_CACHE pointing at a folder that does not exist',
      method: 'GET',
      path: '/v1/models',
    });
    await stopServer(child);
  }
}

async function runMlxManual() {
  const base = args.base;
  const group = args.group ?? 'main';
  if (!recordedFrom) recordedFrom = args.python ? mlxRecordedFrom(args.python) : 'mlx_lm.server (version unknown)';
  if (group === 'empty-cache') {
    await record(base, { name: 'models-empty-cache', method: 'GET', path: '/v1/models' });
    return;
  }
  if (group === 'tools') {
    for (const s of toolsSpecs('mlx', args.model)) await record(base, s);
    return;
  }
  if (group === 'long-prompt') {
    for (const s of longPromptSpecs(args.model ?? (await firstModelId(base)))) await record(base, s);
    return;
  }
  if (group !== 'main') die(`unknown --group ${group} for mlx (main, tools, long-prompt, empty-cache)`);
  await mlxWarmUp(base);
  const model = args.model ?? (await firstModelId(base));
  for (const s of mainSpecs('mlx', model)) await record(base, s);
}

// ---------- main ----------

try {
  if (ENGINE === 'llama-cpp') await (SPAWN_BIN ? runLlamaSpawned() : runLlamaManual());
  else await (SPAWN_BIN ? runMlxSpawned() : runMlxManual());
} finally {
  for (const c of [...children]) await stopServer(c);
}
log(`wrote ${written.length} fixtures to ${OUT}: ${written.join(', ')}`);
