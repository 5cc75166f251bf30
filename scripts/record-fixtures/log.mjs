// How the recorder talks to its user: progress on stderr, and a fatal error that exits with code 2.

/** Prints `record-fixtures: msg` and exits with code 2. */
export function die(msg) {
  console.error(`record-fixtures: ${msg}`);
  process.exit(2);
}

/** A progress line on stderr (stdout stays free for --print-tool-template). */
export function log(msg) {
  console.error(`[record-fixtures] ${msg}`);
}
