/**
 * The one top-level error handler. A user's mistake prints as a clean message
 * with a hint (exit 1; bad usage exits 2); anything else is a bug in nano and
 * prints its stack so that it can be reported.
 */
import { NanoError, ProblemsError } from '../errors.js';
import { UsageError } from './context.js';
import type { Output } from './output.js';

export function reportError(error: unknown, out: Output): number {
  // A progress line a command left on the terminal (a build that failed half-way) goes before the error.
  out.clearProgress();
  if (error instanceof UsageError) {
    if (out.json) {
      out.result({ error: error.toJSON() });
    } else {
      out.error(`${out.paint('red', '✗')} ${error.message}`);
      if (error.hint) out.error(`  ${out.paint('gray', `hint: ${error.hint}`)}`);
      else out.error('Run `nano --help` (or `nano <command> --help`) for usage.');
    }
    return 2;
  }
  if (error instanceof NanoError) {
    if (out.json) {
      const problems = error instanceof ProblemsError ? { problems: error.problems } : {};
      out.result({ error: { ...error.toJSON(), ...problems } });
    } else {
      out.error(`${out.paint('red', '✗')} ${error.message}`);
      if (error.hint) out.error(`  ${out.paint('gray', `hint: ${error.hint}`)}`);
    }
    return 1;
  }
  const stack = error instanceof Error ? (error.stack ?? error.message) : String(error);
  out.error(`${out.paint('red', '✗')} nano crashed. This is a bug in nano, not in your project; please report it with this output:`);
  out.error(stack);
  return 1;
}
