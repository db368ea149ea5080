/** Resolve and build a project folder in-process, as `nano build` does. */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildProject, type BuildManifest, type BuildOptions, type BuildResult } from '../../src/build/index.js';
import { resolveConfig } from '../../src/config/index.js';
import { yml } from './project.js';

/** A nano.yml declaring each function with only its source (`name: source`). */
export const projectYaml = (functions: Record<string, string>, extra: string[] = []) =>
  yml('service: demo', ...extra, 'functions:', ...Object.entries(functions).map(([name, source]) => `  ${name}: { source: ${source} }`));

export async function build(dir: string, options: Omit<BuildOptions, 'cwd'> = {}): Promise<BuildResult> {
  const config = await resolveConfig('nano.yml', { cwd: dir, env: {} });
  return buildProject(config, { ...options, cwd: dir });
}

/** The build's error, which the test expects there to be. */
export async function buildError(dir: string, options: Omit<BuildOptions, 'cwd'> = {}): Promise<unknown> {
  return build(dir, options).then(
    () => {
      throw new Error('expected the build to fail, but it succeeded');
    },
    (error: unknown) => error,
  );
}

export async function readBuiltManifest(dir: string): Promise<BuildManifest> {
  return JSON.parse(await readFile(join(dir, '.nano', 'build', 'manifest.json'), 'utf8')) as BuildManifest;
}

/** Statuses by function name: `{ sum: 'built', answer: 'up to date' }`. */
export const statuses = (result: BuildResult) => Object.fromEntries(result.reports.map((report) => [report.name, report.status]));
