/** What every command handler receives besides its parsed flags. */
import type { CliIo } from './io.js';
import { createOutput, type Output } from './output.js';

export interface GlobalFlags {
  config: string;
  stage: string;
  json: boolean;
}

export interface CommandContext {
  io: CliIo;
  output(flags: { json?: boolean }): Output;
  setExitCode(code: number): void;
}

export function createContext(io: CliIo, onExitCode: (code: number) => void): CommandContext {
  return {
    io,
    output: (flags) => createOutput(io, { json: Boolean(flags.json) }),
    setExitCode: onExitCode,
  };
}

export const USAGE_HINT = 'run `nano --help` (or `nano <command> --help`) for usage';

/**
 * Bad usage: exit code 2, as for a flag yargs rejects. Under --json it prints as the other errors do,
 * `{"error": {"code": "BadUsage", "message": ..., "hint": ...}}`.
 */
export class UsageError extends Error {
  override name = 'UsageError';
  readonly code = 'BadUsage';
  /** The word or value that was wrong, when there is one. */
  readonly value: unknown;
  /** What to type instead (a did-you-mean); without one, the report points at `--help`. */
  readonly hint: string | undefined;

  constructor(message: string, options: { value?: unknown; hint?: string } = {}) {
    super(message);
    this.value = options.value;
    this.hint = options.hint;
  }

  toJSON(): { code: 'BadUsage'; message: string; hint: string } {
    return { code: this.code, message: this.message, hint: this.hint ?? USAGE_HINT };
  }
}
