// Discovers the models on every configured host and streams one chat reply.
//   LLAMACPP_HOSTS=http://localhost:8000 node examples/discover-and-chat.mjs "Why is the sky blue?"
import { LLMFactory } from 'autobyteus';

const prompt = process.argv[2] ?? 'In one sentence: what is llama.cpp?';
const factory = new LLMFactory(); // settings from the environment (LLAMACPP_HOSTS, MLX_HOSTS, ...)
await factory.ensureInitialized();

for (const host of factory.getHostHealth()) {
  const reason = host.error ? ` — ${host.error}` : '';
  console.log(
    `${host.runtime.padEnd(9)} ${host.hostUrl.padEnd(28)} ${host.status.padEnd(12)} ${host.latencyMs} ms${reason}`,
  );
}
const models = factory.listAvailableModels().filter((m) => m.availability === 'served' && !m.stale);
if (models.length === 0) {
  console.error('No served model found. Start llama-server (or set LLAMACPP_HOSTS / MLX_HOSTS) and try again.');
  process.exitCode = 1;
} else {
  const model = models[0];
  console.log(
    `\n${model.modelIdentifier}  (context ${model.defaultConfig.contextWindow ?? '?'}, ${model.defaultConfig.quantization ?? 'unknown quantization'})`,
  );
  console.log(`> ${prompt}\n`);
  const llm = factory.createLLM(model.modelIdentifier, { temperature: 0.2, maxTokens: 128 });
  for await (const chunk of llm.streamMessages([{ role: 'user', content: prompt }])) {
    if (chunk.content) process.stdout.write(chunk.content);
    if (chunk.isComplete) {
      const speed = chunk.timings?.predictedPerSecond
        ? `, ${chunk.timings.predictedPerSecond.toFixed(1)} tokens/s`
        : '';
      console.log(`\n\n[${chunk.finishReason}; ${chunk.usage?.completionTokens ?? '?'} tokens${speed}]`);
    }
  }
}
await factory.close();
