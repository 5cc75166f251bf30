import type { Logger } from '../../src/logging/logger.js';
import { LLMFactory } from '../../src/registry/llm-factory.js';
import type { SettingsInput } from '../../src/settings/settings.js';

/** Collects log calls so tests can assert on warnings. */
export class MemoryLogger implements Logger {
  readonly lines: Array<{ level: string; fields: object; message?: string }> = [];
  debug(fields: object, message?: string) {
    this.lines.push({ level: 'debug', fields, message });
  }
  info(fields: object, message?: string) {
    this.lines.push({ level: 'info', fields, message });
  }
  warn(fields: object, message?: string) {
    this.lines.push({ level: 'warn', fields, message });
  }
  error(fields: object, message?: string) {
    this.lines.push({ level: 'error', fields, message });
  }
  warnings(): string[] {
    return this.lines.filter((l) => l.level === 'warn').map((l) => l.message ?? '');
  }
}

/** A factory that only knows the hosts given (no Ollama/LM Studio defaults on this machine). */
export function factoryWith(settings: SettingsInput, logger = new MemoryLogger()): LLMFactory {
  return new LLMFactory({
    settings: { ollamaHosts: [], lmStudioHosts: [], huggingFaceCacheDir: '/nonexistent-hf-cache', ...settings },
    logger,
  });
}
