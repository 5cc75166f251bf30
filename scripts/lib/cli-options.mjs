// Command-line values the benchmark scripts check before they run.

/** `text` as a positive integer, or exit 2 naming option `--name`. */
export function positiveInt(name, text) {
  const n = Number(text);
  if (!Number.isInteger(n) || n <= 0) {
    console.error(`--${name} must be a positive integer, got ${text}`);
    process.exit(2);
  }
  return n;
}
