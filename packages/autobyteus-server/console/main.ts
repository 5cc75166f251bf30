import { ApiClient } from './api-client.js';
import { ChatPanel } from './chat-panel.js';
import { panelBody } from './dom.js';
import { EnginesPanel } from './engines-panel.js';
import { duration } from './format.js';
import { HostsPanel } from './hosts-panel.js';
import { MetricsPanel } from './metrics-panel.js';
import { ModelsPanel } from './models-panel.js';
import { parsePrometheusText } from './prometheus-text.js';
import { PullsPanel } from './pulls-panel.js';
import { TokenPrompt } from './token-prompt.js';

/** How often every panel refreshes (one round at a time: a slow answer delays the next round). */
const REFRESH_MS = 3000;

function required<T extends Element>(selector: string): T {
  const found = document.querySelector<T>(selector);
  if (!found) throw new Error(`index.html lacks ${selector}`);
  return found;
}

function start(): void {
  const prompt = new TokenPrompt(required<HTMLDialogElement>('#token-dialog'));
  const api = new ApiClient((reason) => prompt.ask(reason));
  const info = required<HTMLElement>('#server-info');
  const lastError = required<HTMLElement>('#last-error');
  required<HTMLButtonElement>('#forget-token').addEventListener('click', () => {
    api.forgetToken();
    void round();
  });

  const hosts = new HostsPanel(api, panelBody('hosts'), (version, uptime) => {
    info.textContent = `autobyteus-server ${version} · up ${duration(uptime * 1000)}`;
  });
  const models = new ModelsPanel(api, panelBody('models'), () => void chat.refresh().catch(show('chat')));
  const chat = new ChatPanel(api, panelBody('chat'));
  const engines = new EnginesPanel(api, panelBody('engines'));
  const metrics = new MetricsPanel(panelBody('metrics'));
  const pulls = new PullsPanel(api, panelBody('pulls'), () => void run('models', () => models.refresh()));
  const errors = new Map<string, string>();

  function show(panel: string) {
    return (error: unknown) => {
      errors.set(panel, `${panel}: ${error instanceof Error ? error.message : String(error)}`);
    };
  }
  const run = (panel: string, task: () => Promise<void>) =>
    task().then(() => {
      errors.delete(panel);
    }, show(panel));

  let timer: ReturnType<typeof setTimeout> | undefined;
  async function round(): Promise<void> {
    clearTimeout(timer);
    await Promise.all([
      run('hosts', () => hosts.refresh()),
      run('models', () => models.refresh()),
      run('chat', () => chat.refresh()),
      run('engines', () => engines.refresh()),
      run('metrics', async () => {
        const samples = parsePrometheusText(await api.text('/metrics'));
        const at = Date.now();
        metrics.update(samples, at);
      }),
      run('pulls', () => pulls.refresh()),
    ]);
    lastError.textContent = [...errors.values()].join(' · ');
    document.body.dataset.refreshed = String(Date.now());
    timer = setTimeout(() => void round(), REFRESH_MS);
  }
  void round();
}

start();
