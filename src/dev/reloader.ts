/**
 * One reload of `nano dev`: (re)read nano.yml if it changed, build what
 * changed, swap what built, and say what happened.
 *
 * Strategy: the build is driven by content, not by events. Every reload builds
 * every function incrementally (an unchanged source is "up to date" and keeps
 * its version), so a missed or duplicated event can delay a reload but never
 * serve a stale or half-built function. A bad edit never breaks the loop: an
 * invalid nano.yml keeps the last good configuration; a function whose source
 * does not build, or whose module the executor refuses, keeps serving its last
 * good version while the others swap. Nothing here throws: every outcome,
 * a bug included, ends up in the report.
 */
import { relative } from 'node:path';
import { MANIFEST_VERSION, type BuildManifest, type BuildOptions } from '../build/index.js';
import { resolveConfig, type ResolvedConfig } from '../config/index.js';
import { formatProblem, NanoError, type Problem, type ProblemsError } from '../errors.js';
import { buildServable } from './build-servable.js';
import type { BuildLoader, LoadedFunction } from './load-build.js';

export interface ReloadRequest {
  /** Changed paths (absolute); empty for the first build. */
  paths: readonly string[];
  /** The nano.yml is among them. */
  configChanged: boolean;
  /** Functions whose source or `watch:` files are among them. */
  functions: readonly string[];
}

export interface FunctionFailure {
  name: string;
  problems: Problem[];
  /** The version still serving, or null when none is. */
  serving: number | null;
  /** Nothing of the function changed and the problems are the ones reported last time. */
  repeated: boolean;
}

export interface ReloadReport {
  /** The changed paths, as shown to the user (relative to cwd when below it). */
  trigger: string[];
  /** From the start of the reload to the last swap. */
  durationMs: number;
  /** Functions added, updated or removed. */
  changes: LoadedFunction[];
  failures: FunctionFailure[];
  /** nano.yml could not be read or is invalid: the last good configuration stays. */
  configError?: NanoError;
  /** The error of building every function, when some failed (what `nano build` would print). */
  buildError?: ProblemsError;
  /** Anything unexpected (a bug, a full disk): nothing was swapped after it. */
  error?: unknown;
  /** The configuration in force after the reload. */
  config: ResolvedConfig;
}

export interface ReloaderOptions {
  config: ResolvedConfig;
  loader: BuildLoader;
  /** How nano.yml is read again: as the command read it first. */
  configPath: string;
  stage: string;
  env: Readonly<Record<string, string | undefined>>;
  /** Base for relative paths and for file names in messages. */
  cwd: string;
  /** A `build:` command starts (a compiler may take seconds: worth saying). */
  onCommand?: BuildOptions['onCommand'];
  /** Stops a running `build:` command (the session is closing). */
  signal?: AbortSignal;
}

const emptyManifest = (config: ResolvedConfig): BuildManifest => ({
  version: MANIFEST_VERSION,
  service: config.service,
  stage: config.stage,
  builtAt: new Date().toISOString(),
  functions: [],
});

export class Reloader {
  private current: ResolvedConfig;
  /** Problems last reported per failing function, to say them once rather than on every reload. */
  private reported = new Map<string, string>();
  /**
   * Functions whose `build:` command failed: what is on disk is not a build of theirs, so their command
   * runs again at every reload until it succeeds (rather than their source being taken as it lies).
   */
  private failedCommands = new Set<string>();

  constructor(private readonly options: ReloaderOptions) {
    this.current = options.config;
  }

  get config(): ResolvedConfig {
    return this.current;
  }

  async reload(request: ReloadRequest): Promise<ReloadReport> {
    const started = performance.now();
    const report: ReloadReport = {
      trigger: request.paths.map((path) => this.display(path)),
      durationMs: 0,
      changes: [],
      failures: [],
      config: this.current,
    };
    try {
      let config = this.current;
      if (request.configChanged) {
        try {
          config = await resolveConfig(this.options.configPath, {
            stage: this.options.stage,
            env: this.options.env,
            cwd: this.options.cwd,
          });
        } catch (error) {
          if (!(error instanceof NanoError)) throw error;
          report.configError = error;
          // Sources edited in the same breath still build, under the last good configuration.
          if (request.functions.length === 0) return this.finish(report, started);
        }
      }
      await this.buildAndSwap(config, request, report);
    } catch (error) {
      report.error = error;
    }
    return this.finish(report, started);
  }

  private async buildAndSwap(config: ResolvedConfig, request: ReloadRequest, report: ReloadReport): Promise<void> {
    const built = await buildServable(config, this.options.cwd, {
      runCommandsOf: this.commandsToRun(config, request),
      onCommand: this.options.onCommand,
      signal: this.options.signal,
    });
    const loaded = await this.options.loader.load(built.result ?? { manifest: emptyManifest(config), artifacts: new Map() }, {
      keep: built.failures.keys(),
    });
    this.current = config;
    report.config = config;
    report.buildError = built.error;
    report.changes = loaded.filter((fn) => fn.change === 'added' || fn.change === 'updated' || fn.change === 'removed');

    const failures = new Map(built.failures);
    for (const fn of loaded) {
      if (fn.change !== 'refused') continue;
      const source = config.functions.find((candidate) => candidate.name === fn.name)?.source;
      const message = fn.error instanceof Error ? fn.error.message : String(fn.error);
      failures.set(fn.name, [{ file: source ? this.display(source) : fn.name, message }]);
    }
    const touched = new Set(request.functions);
    const reported = new Map<string, string>();
    for (const [name, problems] of failures) {
      const text = problems.map(formatProblem).join('\n');
      const repeated = !request.configChanged && !touched.has(name) && this.reported.get(name) === text;
      report.failures.push({ name, problems, serving: this.options.loader.version(name), repeated });
      reported.set(name, text);
    }
    this.reported = reported;
    this.failedCommands = new Set(
      [...failures]
        .filter(([name, problems]) => problems.some((problem) => problem.path === `functions.${name}.build`))
        .map(([name]) => name),
    );
  }

  /**
   * Whose `build:` commands run: everyone's at the first build; after that, those whose `watch:` files
   * changed, those whose command is new in nano.yml, and those whose command failed last time. A compiler
   * takes seconds: a timeout changed in nano.yml is no reason to run it.
   */
  private commandsToRun(config: ResolvedConfig, request: ReloadRequest): readonly string[] | undefined {
    if (request.paths.length === 0) return undefined;
    const before = new Map(this.current.functions.map((fn) => [fn.name, fn.build]));
    const newCommands = request.configChanged
      ? config.functions.filter((fn) => fn.build !== undefined && (!before.has(fn.name) || before.get(fn.name) !== fn.build))
      : [];
    return [...new Set([...request.functions, ...newCommands.map((fn) => fn.name), ...this.failedCommands])];
  }

  private finish(report: ReloadReport, started: number): ReloadReport {
    report.durationMs = performance.now() - started;
    return report;
  }

  private display(path: string): string {
    const rel = relative(this.options.cwd, path);
    return rel === '' || rel.startsWith('..') ? path : rel;
  }
}
