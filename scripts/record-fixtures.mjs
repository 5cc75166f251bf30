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

// This file is the entry (its header above is also the --help text); the recorder lives in
// record-fixtures/: options, raw HTTP, the fixture writer, request bodies and specs, and one module
// per engine (llama-cpp.mjs, mlx.mjs).
import fs from 'node:fs';
import { ChildProcesses } from './lib/child-processes.mjs';
import { EngineServers } from './record-fixtures/engine-servers.mjs';
import { recordLlamaCpp } from './record-fixtures/llama-cpp.mjs';
import { log } from './record-fixtures/log.mjs';
import { recordMlx } from './record-fixtures/mlx.mjs';
import { parseArgs, resolveOptions } from './record-fixtures/options.mjs';
import { FixtureRecorder } from './record-fixtures/recorder.mjs';
import { toolTemplate } from './record-fixtures/tool-template.mjs';

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
  process.stdout.write(toolTemplate());
  process.exit(0);
}
const { engine, out, spawnBin, port, logDir } = resolveOptions(args);
// Every server it spawns is killed on any exit (also on Ctrl-C).
const children = new ChildProcesses().killOnExit();
const recorder = new FixtureRecorder({
  engine,
  out,
  apiKey: args['api-key'],
  recordedFrom: args['recorded-from'] ?? null,
});
const servers = new EngineServers({ logDir, children });
const ctx = { args, spawnBin, port, logDir, recorder, servers };

try {
  await (engine === 'llama-cpp' ? recordLlamaCpp(ctx) : recordMlx(ctx));
} finally {
  await servers.stopAll();
}
log(`wrote ${recorder.written.length} fixtures to ${out}: ${recorder.written.join(', ')}`);
