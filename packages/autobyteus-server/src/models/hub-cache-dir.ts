import { homedir } from 'node:os';
import { join } from 'node:path';
import type { ServerConfig } from '../config/server-config.js';

/** The Hugging Face hub cache the server reads and pulls into: HF_HUB_CACHE, else $HF_HOME/hub, else ~/.cache/huggingface/hub. */
export function hubCacheDir(config: ServerConfig): string {
  const v = config.values;
  return v.HF_HUB_CACHE ?? (v.HF_HOME ? join(v.HF_HOME, 'hub') : join(homedir(), '.cache', 'huggingface', 'hub'));
}
