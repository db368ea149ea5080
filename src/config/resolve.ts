/**
 * `resolveConfig()` turns a nano.yml into the one read-only configuration the
 * builder consumes: substituted, validated, defaults applied, durations in ms,
 * paths absolute. It is the only place that applies defaults.
 *
 * Strategy: collect every problem of a stage (YAML syntax, then substitution and
 * schema, then the checks a schema cannot express) and report them all at once.
 */
import { stat } from 'node:fs/promises';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { ProblemsError, type Problem } from '../errors.js';
import { formatDuration, parseDuration } from './durations.js';
import { LIMIT_BOUNDS, MAX_PROBLEMS_SHOWN } from './limits.js';
import { readConfigText } from './read-config-text.js';
import { reservedPrefixOf } from './routes.js';
import { substitute } from './substitute.js';
import { validateAgainstSchema } from './validate.js';
import { overlappingMethods, type Abi, type HttpMethod, type Limits, type Route } from './types.js';
import { parseYamlSource, type YamlSource } from './yaml-source.js';

/** Built-in defaults, used where neither the function nor `defaults:` sets a limit. */
export const BUILTIN_DEFAULTS = {
  memoryPages: 16,
  timeoutMs: 5_000,
  cacheTtlMs: 60_000,
  concurrency: null,
} as const satisfies Limits;

export interface ResolvedFunction {
  readonly name: string;
  /** Absolute path of the .wat or .wasm file. */
  readonly source: string;
  /** The source as written in nano.yml (relative to the project folder). */
  readonly sourceRelative: string;
  /** A shell command that writes the source (a compiler), run in the project folder before the source is read. */
  readonly build: string | undefined;
  /** Where `build:` is written in nano.yml, for the build's messages about it. */
  readonly buildAt: { readonly line: number; readonly column: number } | undefined;
  readonly entry: string;
  readonly description: string | undefined;
  readonly limits: Readonly<Limits>;
  readonly routes: readonly Readonly<Route>[];
  /** Extra paths or globs `nano dev` watches for this function, as written (relative to the project folder). */
  readonly watch: readonly string[];
  /** `args` (default) or `wagi`. */
  readonly abi: Abi;
  /** Environment variables a `wagi` function sees beside the CGI ones (empty for `args`). */
  readonly env: Readonly<Record<string, string>>;
}

export interface ResolvedConfig {
  /** Absolute path of the nano.yml. */
  readonly file: string;
  /** The project folder: every relative path in nano.yml is relative to it. */
  readonly dir: string;
  readonly service: string;
  readonly stage: string;
  readonly providerUrl: string | undefined;
  readonly functions: readonly ResolvedFunction[];
}

export interface ResolveOptions {
  stage?: string;
  env?: Readonly<Record<string, string | undefined>>;
  /** Base for relative config paths and for file names in messages. */
  cwd?: string;
  /**
   * `unused`: the command never reads the functions' `env:` values (logs, info, remove, rollback), so a
   * `${env:…}` there whose variable is unset is no error (the value resolves to ""). Default `required`.
   */
  functionEnv?: 'required' | 'unused';
}

/** `functions.<name>.env.<KEY>`: a function's environment value. */
const isFunctionEnvValue = (path: readonly (string | number)[]) => path.length === 4 && path[0] === 'functions' && path[2] === 'env';

/* The shape the schema guarantees once validation passed. */
interface RawRoute {
  method?: HttpMethod;
  path: string;
}
interface RawFunction {
  source: string;
  build?: string;
  entry?: string;
  description?: string;
  memory?: number;
  timeout?: number | string;
  cacheTtl?: number | string;
  concurrency?: number;
  http?: RawRoute | RawRoute[];
  watch?: string | string[];
  abi?: Abi;
  env?: Record<string, string>;
}
interface RawConfig {
  service: string;
  provider?: { url?: string };
  defaults?: { memory?: number; timeout?: number | string; cacheTtl?: number | string; concurrency?: number };
  functions: Record<string, RawFunction>;
}

function displayName(file: string, cwd: string): string {
  const rel = relative(cwd, file);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : file;
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    Object.values(value).forEach(deepFreeze);
    Object.freeze(value);
  }
  return value;
}

export async function resolveConfig(configPath: string, options: ResolveOptions = {}): Promise<ResolvedConfig> {
  const cwd = options.cwd ?? process.cwd();
  const file = resolve(cwd, configPath);
  const shown = displayName(file, cwd);

  const read = await readConfigText(file, shown);
  if (read.problems) throw invalid(shown, read.problems);
  const parsed = parseYamlSource(shown, read.text);
  if (!parsed.source) throw invalid(shown, parsed.problems);
  const source = parsed.source;
  if (source.value === null || source.value === undefined) {
    throw invalid(shown, [
      { file: shown, line: 1, column: 1, message: 'the file is empty; expected at least `service:` and `functions:`' },
    ]);
  }

  const stage = options.stage ?? 'dev';
  const substituted = substitute(source, {
    env: options.env ?? process.env,
    stage,
    unsetAllowedAt: options.functionEnv === 'unused' ? isFunctionEnvValue : undefined,
  });
  // A value whose substitution failed was already reported; its schema error (`got ""`) would only repeat it.
  const unsubstituted = new Set(substituted.problems.map((problem) => problem.path));
  const schemaProblems = validateAgainstSchema(substituted.value, source).filter((problem) => !unsubstituted.has(problem.path));
  const problems = [...substituted.problems, ...schemaProblems];
  if (problems.length > 0) throw invalid(shown, problems);

  const raw = substituted.value as RawConfig;
  const dir = dirname(file);
  const functions = Object.entries(raw.functions).map(([name, fn]) => {
    const buildAt = fn.build === undefined ? undefined : source.locate(['functions', name, 'build']);
    return resolveFunction(name, fn, raw, dir, buildAt);
  });
  const semanticProblems = [...checkDurations(raw, source), ...(await checkSources(functions, source)), ...checkRoutes(raw, source)];
  if (semanticProblems.length > 0) throw invalid(shown, semanticProblems);

  return deepFreeze({
    file,
    dir,
    service: raw.service,
    stage,
    providerUrl: raw.provider?.url?.replace(/\/+$/, ''),
    functions,
  });
}

function invalid(shown: string, unordered: Problem[]): ProblemsError {
  const problems = [...unordered].sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
  // Thousands of lines help no one: the first ones in file order, and a count of the rest.
  const listed = problems.slice(0, MAX_PROBLEMS_SHOWN);
  const more = problems.length - listed.length;
  const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
  const summary = more > 0 ? `${count}; the first ${listed.length} follow, ${more} more are not shown` : count;
  return new ProblemsError('ConfigInvalid', `${shown} is invalid (${summary}):`, listed, 'fix the file and run the command again');
}

function routesOf(fn: RawFunction): RawRoute[] {
  if (fn.http === undefined) return [];
  return Array.isArray(fn.http) ? fn.http : [fn.http];
}

function resolveFunction(
  name: string,
  fn: RawFunction,
  raw: RawConfig,
  dir: string,
  buildAt: ResolvedFunction['buildAt'],
): ResolvedFunction {
  const defaults = raw.defaults ?? {};
  // The schema has checked both durations, so parseDuration cannot miss here.
  const duration = (own: number | string | undefined, inherited: number | string | undefined, builtin: number) =>
    parseDuration(own ?? inherited) ?? builtin;
  return {
    name,
    source: resolve(dir, fn.source),
    sourceRelative: fn.source,
    build: fn.build,
    buildAt,
    entry: fn.entry ?? '_start',
    description: fn.description,
    limits: {
      memoryPages: fn.memory ?? defaults.memory ?? BUILTIN_DEFAULTS.memoryPages,
      timeoutMs: duration(fn.timeout, defaults.timeout, BUILTIN_DEFAULTS.timeoutMs),
      cacheTtlMs: duration(fn.cacheTtl, defaults.cacheTtl, BUILTIN_DEFAULTS.cacheTtlMs),
      concurrency: fn.concurrency ?? defaults.concurrency ?? BUILTIN_DEFAULTS.concurrency,
    },
    routes: routesOf(fn).map((route) => ({ method: route.method ?? 'GET', path: normalizeRoutePath(route.path) })),
    watch: fn.watch === undefined ? [] : Array.isArray(fn.watch) ? [...fn.watch] : [fn.watch],
    abi: fn.abi ?? 'args',
    env: { ...fn.env },
  };
}

function normalizeRoutePath(path: string): string {
  return path.length > 1 ? path.replace(/\/+$/, '') : path;
}

/** The bounds of LIMIT_BOUNDS that a schema pattern cannot express: "120m" is a duration, but no timeout. */
function checkDurations(raw: RawConfig, source: YamlSource): Problem[] {
  const problems: Problem[] = [];
  const owners: [string[], RawConfig['defaults'] & {}][] = [
    [['defaults'], raw.defaults ?? {}],
    ...Object.entries(raw.functions).map(([name, fn]): [string[], RawFunction] => [['functions', name], fn]),
  ];
  for (const [at, owner] of owners) {
    for (const [key, bounds] of [
      ['timeout', LIMIT_BOUNDS.timeoutMs],
      ['cacheTtl', LIMIT_BOUNDS.cacheTtlMs],
    ] as const) {
      const value = owner[key];
      if (value === undefined) continue;
      const ms = parseDuration(value);
      if (ms === undefined || ms > bounds.max) {
        problems.push(
          source.problem([...at, key], `expected a ${key} of at most ${formatDuration(bounds.max)}, got ${JSON.stringify(value)}`),
        );
      }
    }
  }
  return problems;
}

async function checkSources(functions: ResolvedFunction[], source: YamlSource): Promise<Problem[]> {
  const problems: Problem[] = [];
  for (const fn of functions) {
    // A built source may not exist yet: its command writes it, and the build says so if it does not.
    if (fn.build !== undefined) continue;
    const where = ['functions', fn.name, 'source'];
    try {
      const info = await stat(fn.source);
      if (!info.isFile()) problems.push(source.problem(where, `expected a file, got the folder "${fn.sourceRelative}"`));
    } catch {
      problems.push(source.problem(where, `source file "${fn.sourceRelative}" does not exist (looked for ${fn.source})`));
    }
  }
  return problems;
}

function checkRoutes(raw: RawConfig, source: YamlSource): Problem[] {
  const problems: Problem[] = [];
  const taken = new Map<string, string>();
  for (const [name, fn] of Object.entries(raw.functions)) {
    const routes = routesOf(fn);
    routes.forEach((route, index) => {
      const where = Array.isArray(fn.http) ? ['functions', name, 'http', index, 'path'] : ['functions', name, 'http', 'path'];
      const path = normalizeRoutePath(route.path);
      const reserved = reservedPrefixOf(path);
      if (reserved) {
        problems.push(source.problem(where, `route "${path}" is reserved by the platform (${reserved}); choose another path`));
        return;
      }
      const method = route.method ?? 'GET';
      // ANY overlaps every method, so it is compared against all of them.
      for (const other of overlappingMethods(method)) {
        const owner = taken.get(`${other} ${path}`);
        if (owner) {
          problems.push(source.problem(where, `duplicate route ${method} ${path}: already used by function "${owner}"`));
          return;
        }
      }
      taken.set(`${method} ${path}`, name);
    });
  }
  return problems;
}
