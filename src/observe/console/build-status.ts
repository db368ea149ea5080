/**
 * `nano dev`'s last build as the console shows it: when it ran, and every problem with its location, so
 * the banner can say `functions/sum.wat:3:5` as the terminal does. Made from the reload report the CLI
 * receives (the first build and every reload), never from the terminal's text.
 */
import type { ReloadReport } from '../../dev/index.js';
import { NanoError, ProblemsError, type Problem } from '../../errors.js';

export interface BuildProblem {
  /** The function it belongs to; absent for nano.yml itself. */
  function?: string;
  file: string;
  line?: number;
  column?: number;
  /** Dotted key in nano.yml (`functions.sum.timeout`), when the problem is there. */
  path?: string;
  message: string;
  /** The source excerpt with a caret, as the terminal prints it. */
  detail?: string;
}

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
  const { file, line, column, path, message, detail } = problem;
  const owner = fn ?? problem.function;
  return {
    ...(owner === undefined ? {} : { function: owner }),
    file,
    ...(line === undefined ? {} : { line }),
    ...(column === undefined ? {} : { column }),
    ...(path === undefined ? {} : { path }),
    message,
    ...(detail === undefined ? {} : { detail }),
  };
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
    ...(unexpected === undefined
      ? {}
      : { error: unexpected instanceof NanoError || unexpected instanceof Error ? unexpected.message : String(unexpected) }),
  };
}
