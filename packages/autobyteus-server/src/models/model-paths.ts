import { join } from 'node:path';
import { homeLayout } from '../home-layout.js';

/** Where pulled models live under `$AUTOBYTEUS_HOME`. */
export interface ModelPaths {
  /** `$AUTOBYTEUS_HOME/models` */
  root: string;
  /** `$AUTOBYTEUS_HOME/models/gguf`: GGUF files for llama.cpp. */
  gguf: string;
  /** `$AUTOBYTEUS_HOME/models/registry.json`: what was pulled, from where, with header metadata. */
  registry: string;
  /** `$AUTOBYTEUS_HOME/models/.downloads`: intermediate downloads (wheels), removed after use. */
  downloads: string;
}

/** The model folders under an autobyteus home. */
export function modelPaths(home: string): ModelPaths {
  const root = homeLayout(home).models;
  return { root, gguf: join(root, 'gguf'), registry: join(root, 'registry.json'), downloads: join(root, '.downloads') };
}
