/**
 * A build that one broken function cannot block. `buildProject` is all or
 * nothing (on any problem `.nano/build/` stays as it was), which is right for
 * `nano build` but would let a typo in sum.wat hold back an edit of
 * answer.wat in `nano dev`. So: build everything (incrementally: unchanged
 * functions are "up to date", only changed ones compile); if some functions
 * fail, note whose source each problem is in and build again without them.
 * Each retry drops at least one function, so this ends.
 */
import { resolve } from 'node:path';
import { buildProject, type BuildOptions, type BuildResult } from '../build/index.js';
import type { ResolvedConfig } from '../config/index.js';
import { ProblemsError, type Problem } from '../errors.js';

export interface ServableBuild {
  /** The build of every function that builds; undefined when none does. */
  result: BuildResult | undefined;
  /** Functions whose source did not build, with their problems. */
  failures: Map<string, Problem[]>;
  /** The error of the build of every function, when there was one. */
  error: ProblemsError | undefined;
}

/** Problems by the functions whose source they are in; undefined if one is in no candidate's source. */
function ownersOf(
  problems: readonly Problem[],
  config: ResolvedConfig,
  cwd: string,
  candidates: readonly string[],
): Map<string, Problem[]> | undefined {
  const owners = new Map<string, Problem[]>();
  for (const problem of problems) {
    // Problems name the source relative to cwd, or absolute when it lies outside.
    const file = resolve(cwd, problem.file);
    const names =
      problem.function !== undefined
        ? [problem.function].filter((name) => candidates.includes(name))
        : config.functions.filter((fn) => candidates.includes(fn.name) && fn.source === file).map((fn) => fn.name);
    if (names.length === 0) return undefined;
    for (const name of names) owners.set(name, [...(owners.get(name) ?? []), problem]);
  }
  return owners;
}

/**
 * `runCommandsOf`: the functions whose `build:` commands run (all when undefined); the retries never run
 * them again, since their output is already on disk.
 */
export async function buildServable(
  config: ResolvedConfig,
  cwd: string,
  commandOptions: Pick<BuildOptions, 'runCommandsOf' | 'onCommand' | 'signal'> = {},
): Promise<ServableBuild> {
  const failures = new Map<string, Problem[]>();
  let firstError: ProblemsError | undefined;
  let names = config.functions.map((fn) => fn.name);
  while (names.length > 0) {
    try {
      const retry = failures.size > 0;
      const result = await buildProject(config, {
        cwd,
        only: retry ? names : undefined,
        ...commandOptions,
        runCommandsOf: retry ? [] : commandOptions.runCommandsOf,
      });
      return { result, failures, error: firstError };
    } catch (error) {
      if (!(error instanceof ProblemsError) || error.code !== 'BuildFailed') throw error;
      firstError ??= error;
      const owners = ownersOf(error.problems, config, cwd, names);
      if (owners === undefined) {
        for (const name of names) failures.set(name, [...error.problems]);
        break;
      }
      for (const [name, problems] of owners) failures.set(name, problems);
      names = names.filter((name) => !owners.has(name));
    }
  }
  return { result: undefined, failures, error: firstError };
}
