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

/** Bad usage: exit code 2, as for a flag yargs rejects. */
export class UsageError extends Error {
  override name = 'UsageError';
}
