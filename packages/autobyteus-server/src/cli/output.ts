/** Prints rows as aligned columns (or JSON with --json). */
export function printTable(headers: string[], rows: Array<Array<string | number | undefined>>): void {
  const cells = [headers, ...rows.map((row) => row.map((cell) => (cell === undefined ? '-' : String(cell))))];
  const widths = headers.map((_, i) => Math.max(...cells.map((row) => (row[i] ?? '').length)));
  for (const row of cells) {
    console.log(
      row
        .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
        .join('  ')
        .trimEnd(),
    );
  }
}

export function printJson(value: unknown): void {
  console.log(JSON.stringify(value, null, 2));
}
