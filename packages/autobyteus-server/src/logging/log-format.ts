/** How log records are written: one JSON object per line, or a readable line for people. */
export type LogFormat = 'json' | 'pretty';

/** The `LOG_FORMAT` setting: `auto` decides by whether the log goes to a terminal. */
export type LogFormatSetting = 'auto' | LogFormat;

/**
 * The format for a log written to a stream that is (`isTTY`) or is not a terminal. `auto` gives
 * readable lines on a terminal and JSON everywhere else (files, pipes, log collectors), so nothing
 * that parses the log today sees a change unless someone asks for `pretty`.
 */
export function chooseLogFormat(setting: LogFormatSetting, isTTY: boolean): LogFormat {
  if (setting === 'json' || setting === 'pretty') return setting;
  return isTTY ? 'pretty' : 'json';
}
