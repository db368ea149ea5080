/**
 * `nano dev`'s last build as the console shows it: when it ran, and every problem with its location, so
 * the banner can say `functions/sum.wat:3:5` as the terminal does. Made from the reload report the CLI
 * receives (the first build and every reload), never from the terminal's text.
 */
import type { ReloadReport } from '../../dev/index.js';
import { ProblemsError, type Problem } from '../../errors.js';

/** A problem as `nano dev` reports it (src/errors.ts `Problem`), `function` set to the one it belongs to. */
export type BuildProblem = Problem;

export interface BuildStatus {
  ok: boolean;
  /** When the build finished (ISO 8601). */
  at: string;
  durationMs: number;
  /** The files whose change started it; empty for the first build. */
  trigger: string[];
  /** What failed to build, and what still serves meanwhile (null: nothing). */
  failures: { name: string; serving: number | null; problems: BuildProblem[] }[];
  /** nano.yml could not be read or is invalid: the last good configuration stays. */
  configError?: { message: string; problems: BuildProblem[] };
  /** Anything unexpected: nothing was swapped. */
  error?: string;
}

function problemOf(problem: Problem, fn?: string): BuildProblem {
  return fn === undefined ? { ...problem } : { ...problem, function: fn };
}

export function buildStatusOf(report: ReloadReport, at = new Date()): BuildStatus {
  const failures = report.failures.map((failure) => ({
    name: failure.name,
    serving: failure.serving,
    problems: failure.problems.map((problem) => problemOf(problem, failure.name)),
  }));
  const config = report.configError;
  const unexpected = report.error;
  return {
    ok: failures.length === 0 && config === undefined && unexpected === undefined,
    at: at.toISOString(),
    durationMs: report.durationMs,
    trigger: report.trigger,
    failures,
    ...(config === undefined
      ? {}
      : {
          configError: {
            message: config instanceof ProblemsError ? config.message.split('\n')[0]! : config.message,
            problems: config instanceof ProblemsError ? config.problems.map((problem) => problemOf(problem)) : [],
          },
        }),
    ...(unexpected === undefined ? {} : { error: unexpected instanceof Error ? unexpected.message : String(unexpected) }),
  };
}
