/**
 * The CLI's view of the outside world, injected so that every command can be tested in-process
 * with a fake. Data goes to stdout, diagnostics to stderr.
 */
export interface Io {
  stdout(text: string): void;
  stderr(text: string): void;
  /** The whole of standard input (empty when there is none). */
  readStdin(): Promise<string>;
}

/** A CLI command: parses its own arguments and returns the process exit code. */
export type Command = (argv: readonly string[], io: Io) => Promise<number>;

/** An Io that records everything, for tests. */
export function memoryIo(stdin = ''): Io & { out: string; err: string } {
  const io = {
    out: '',
    err: '',
    stdout(text: string) { io.out += text; },
    stderr(text: string) { io.err += text; },
    readStdin: async () => stdin,
  };
  return io;
}
