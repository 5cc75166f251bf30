/** Keeps the last lines an engine printed, for failure reasons. */
export class OutputTail {
  private readonly lines: string[] = [];

  /** @param capacity how many lines to keep */
  constructor(private readonly capacity = 20) {}

  push(line: string): void {
    this.lines.push(line);
    if (this.lines.length > this.capacity) this.lines.shift();
  }

  /** The kept lines, oldest first. */
  snapshot(): string[] {
    return [...this.lines];
  }

  /** The kept lines as one block of text ("(no output)" when empty). */
  toString(): string {
    return this.lines.length > 0 ? this.lines.join('\n') : '(no output)';
  }

  clear(): void {
    this.lines.length = 0;
  }
}
