/** Where a command writes; the real process streams, or buffers in tests. */
export interface CommandIO {
  out(text: string): void;
  err(text: string): void;
  stdin: NodeJS.ReadableStream;
  /** Whether stderr is a terminal (live progress) and how wide. */
  errTerminal?: { columns: number };
}

export const processIO: CommandIO = {
  out: (text) => void process.stdout.write(text),
  err: (text) => void process.stderr.write(text),
  // Made on first use: a command that reads no standard input does not set it up (~1 ms of a start).
  get stdin() {
    return process.stdin;
  },
  get errTerminal() {
    return process.stderr.isTTY ? { columns: process.stderr.columns || 80 } : undefined;
  },
};
