// Regenerates .env.example from the server's configuration table (run after `npm run build`).
import { writeFileSync } from 'node:fs';
import { CONFIG_KEYS } from '../packages/autobyteus-server/dist/config/config-keys.js';

let out =
  '# autobyteus-server configuration. Precedence: command-line flags > environment > this .env > config.toml > defaults.\n' +
  '# Every key can also go in config.toml under the section shown (e.g. [llama_cpp] hosts = ["http://localhost:8000"]).\n' +
  '# AUTOBYTEUS_HOME (default ~/.autobyteus) and AUTOBYTEUS_CONFIG (default $AUTOBYTEUS_HOME/config.toml) locate the config file.\n';
// Grouped by config.toml section, in the order sections first appear (the library's rows join the server's).
const sections = [...new Set(CONFIG_KEYS.map((key) => key.toml.split('.')[0]))];
for (const name of sections) {
  out += `\n# [${name}]\n`;
  for (const key of CONFIG_KEYS.filter((k) => k.toml.split('.')[0] === name)) {
    out += `# ${key.description}${key.values ? ` (${key.values.join('|')})` : ''} — config.toml: ${key.toml}\n`;
    out += `${key.default !== undefined ? '' : '# '}${key.env}=${key.default ?? ''}\n`;
  }
}
writeFileSync(new URL('../.env.example', import.meta.url), out);
