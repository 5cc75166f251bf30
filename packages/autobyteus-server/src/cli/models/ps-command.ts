import type { Command } from 'commander';
import { formatBytes, formatDuration } from '../../models/progress-bar.js';
import { cliContext, type GlobalOptions } from '../cli-context.js';
import { printJson, printTable } from '../output.js';
import { callServer, serverEndpoint } from '../server-client.js';
import { type LoadedModel, psAnswer } from './answers.js';

/** `in 45s`, `in 4m`, `in 1h05m`: how long until `expiresAt`, from `now`. */
export function relativeExpiry(model: LoadedModel, now: number): string {
  if (model.state !== 'loaded') return '-';
  if (model.pinned || model.keepAliveMs < 0) return 'never';
  // Busy: the idle clock starts when its requests end.
  if (model.inFlight > 0) return 'after use';
  if (model.expiresAt === null) return 'never';
  const seconds = Math.ceil((Date.parse(model.expiresAt) - now) / 1000);
  if (seconds <= 0) return 'now';
  if (seconds < 60) return `in ${seconds}s`;
  if (seconds < 3600) return `in ${Math.floor(seconds / 60)}m`;
  return `in ${Math.floor(seconds / 3600)}h${String(Math.floor((seconds % 3600) / 60)).padStart(2, '0')}m`;
}

/** The `models ps` table row of one loaded model: measured memory when known, else the estimate (`~`). */
export function psRow(model: LoadedModel, now: number): Array<string | number | undefined> {
  return [
    model.id,
    model.engine,
    model.state,
    model.pid,
    model.port,
    model.rssBytes !== undefined ? formatBytes(model.rssBytes) : `~${formatBytes(model.estimatedBytes)}`,
    model.contextSize,
    model.slots,
    model.inFlight > 0 ? `busy (${model.inFlight})` : formatDuration(model.idleSeconds),
    relativeExpiry(model, now),
    model.pinned ? 'yes' : '',
  ];
}

/** `models ps`: the models the running server has loaded (`GET /api/ps`). */
export function registerPsCommand(models: Command): void {
  models
    .command('ps')
    .description('the models the running server has loaded: engine process, memory, context, idle time, expiry')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }, command: Command) => {
      const { config } = cliContext(command.optsWithGlobals<GlobalOptions>());
      const answer = await callServer(serverEndpoint(config), { method: 'GET', path: '/api/ps' }, psAnswer);
      if (options.json) return printJson(answer);
      if (answer.models.length === 0) {
        console.log('no model is loaded (models load <name> loads one; a request loads it too)');
        return;
      }
      const now = Date.now();
      printTable(
        ['MODEL', 'ENGINE', 'STATE', 'PID', 'PORT', 'MEMORY', 'CONTEXT', 'SLOTS', 'IDLE', 'EXPIRES', 'PINNED'],
        answer.models.map((m) => psRow(m, now)),
      );
    });
}
