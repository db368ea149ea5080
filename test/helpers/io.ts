/** A CliIo whose stdout and stderr are strings, for running `main()` in-process. */
import type { CliIo } from '../../src/cli/io.js';

export interface CapturedIo extends CliIo {
  /** Everything written to stdout so far. */
  out(): string;
  /** Everything written to stderr so far. */
  err(): string;
}

export interface CaptureOptions {
  cwd: string;
  /** Whether both streams claim to be a terminal (default false). */
  isTTY?: boolean;
  /** The whole environment the CLI sees (default: empty, so NO_COLOR is unset). */
  env?: Record<string, string | undefined>;
}

export function captureIo({ cwd, isTTY = false, env = {} }: CaptureOptions): CapturedIo {
  let out = '';
  let err = '';
  return {
    stdout: { isTTY, columns: 100, write: (text: string) => (out += text) },
    stderr: { isTTY, columns: 100, write: (text: string) => (err += text) },
    env,
    cwd,
    // Never interrupted: the commands under test finish on their own.
    interrupted: () => new Promise<void>(() => {}),
    out: () => out,
    err: () => err,
  };
}

/** SGR escape codes (colour, bold); a line-clearing `\x1b[2K` is not colour. */
// eslint-disable-next-line no-control-regex
export const COLOUR = /\u001b\[[0-9;]*m/;
