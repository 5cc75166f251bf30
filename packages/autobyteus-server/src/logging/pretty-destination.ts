import type { DestinationStream } from 'pino';
import { prettyFactory } from 'pino-pretty';
import { prettyMessage } from './pretty-message.js';

/**
 * A pino destination that writes each record as a readable line to `out`, formatted in this
 * process (pino-pretty's formatter, not its transport): no worker thread (about 48 MB less per
 * process) and a formatting function of our own; docs/logging.md has the measurements.
 */
export function prettyDestination(out: DestinationStream, colorize: boolean): DestinationStream {
  const format = prettyFactory({
    colorize,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname,name',
    hideObject: true,
    messageFormat: (log, _messageKey, _levelLabel, { colors }) => prettyMessage(log, colors),
  });
  return {
    write(record: string) {
      out.write(format(record));
    },
  };
}
