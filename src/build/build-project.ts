/**
 * `nano build`: every function of a resolved config → checked artifacts and a
 * manifest in `.nano/build/` beside the nano.yml.
 *
 * Strategy: work out each function's input hash (source bytes + what the
 * artifact depends on); reuse the previous artifact when the hash is unchanged,
 * compile and check it otherwise. Collect every problem from every function; on
 * any, throw and leave `.nano/build/` exactly as it was. On success write the
 * complete new output to a temporary folder and swap it into place, so a reader
 * never sees half a build.
 */
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, extname, join, relative } from 'node:path';
import type { ResolvedConfig, ResolvedFunction } from '../config/index.js';
import { ProblemsError, functionNotFound, type Problem } from '../errors.js';
import { withFileSystemErrors } from '../file-system-error.js';
import { runBuildCommand } from './build-command.js';
import { withBuildLock } from './build-lock.js';
import { sha256 } from './hash.js';
import { compileWat } from './compile-wat.js';
import { checkModule } from './inspect.js';
import { MANIFEST_FILE, MANIFEST_VERSION, readManifest, type BuildManifest, type FunctionArtifact } from './manifest.js';

/** Bumped whenever the builder's output changes for the same input. */
const BUILDER_REVISION = 1;
/** How long a build waits for another process's `build:` commands (a compiler may take minutes). */
const COMMANDS_WAIT_LIMIT_MS = 10 * 60_000;

export type BuildStatus = 'built' | 'up to date';

export interface BuildReport {
  name: string;
  status: BuildStatus;
  durationMs: number;
}

/** A `build:` command that ran, for the functions sharing it. */
export interface CommandReport {
  command: string;
  functions: string[];
  durationMs: number;
}

export interface BuildResult {
  buildDir: string;
  manifest: BuildManifest;
  reports: BuildReport[];
  commands: CommandReport[];
  /**
   * The bytes of every artifact in the manifest, by function name: exactly what was written. Consumers
   * (dev's loader, deploy, invoke --local) use these rather than reading `.nano/build/` again, which
   * another process's build may be swapping at that moment.
   */
  artifacts: ReadonlyMap<string, Uint8Array>;
}

export interface BuildOptions {
  /** Build only these functions; the others keep their previous artifact if it is still current. */
  only?: readonly string[];
  /** Base for file names in messages. */
  cwd?: string;
  /**
   * Functions whose `build:` command runs first: every selected one by default. `nano dev` names only those
   * whose `watch:` files changed, since a compiler is slow and an unchanged input needs no second run.
   */
  runCommandsOf?: readonly string[];
  /** Stops running `build:` commands; the build then fails. */
  signal?: AbortSignal;
  onProgress?: (event: { name: string; index: number; total: number }) => void;
  onCommand?: (event: { command: string; functions: readonly string[] }) => void;
}

export function buildDirOf(config: ResolvedConfig): string {
  return join(config.dir, '.nano', 'build');
}

function inputHashOf(fn: ResolvedFunction, sourceBytes: Uint8Array): string {
  // Only what changes the artifact or its checks; routes and descriptions are
  // copied into the manifest on every build and need no recompilation.
  const dependsOn = JSON.stringify({
    BUILDER_REVISION,
    ext: extname(fn.source),
    entry: fn.entry,
    memory: fn.limits.memoryPages,
    abi: fn.abi === 'wagi' ? 'wagi' : undefined,
  });
  return sha256(Buffer.concat([Buffer.from(dependsOn), sourceBytes]));
}

interface Built {
  entry: FunctionArtifact;
  bytes: Uint8Array;
  status: BuildStatus;
  durationMs: number;
}

async function previousBuild(buildDir: string): Promise<Map<string, FunctionArtifact>> {
  try {
    const manifest = await readManifest(buildDir);
    return new Map(manifest.functions.map((fn) => [fn.name, fn]));
  } catch {
    return new Map();
  }
}

async function reuse(buildDir: string, previous: FunctionArtifact | undefined, inputHash: string): Promise<Uint8Array | undefined> {
  if (!previous || previous.inputHash !== inputHash) return undefined;
  try {
    const bytes = new Uint8Array(await readFile(join(buildDir, previous.artifact)));
    return sha256(bytes) === previous.sha256 ? bytes : undefined;
  } catch {
    return undefined;
  }
}

async function buildFunction(
  fn: ResolvedFunction,
  buildDir: string,
  previous: FunctionArtifact | undefined,
  display: (path: string) => string,
  reuseOnly = false,
): Promise<Built | Problem[] | undefined> {
  const started = performance.now();
  const shownSource = display(fn.source);
  let sourceBytes: Uint8Array;
  try {
    sourceBytes = new Uint8Array(await readFile(fn.source));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    const writtenBy = fn.build === undefined ? '' : ` (its build command \`${fn.build}\` should write it; check the path it writes to)`;
    return [{ file: shownSource, message: `cannot read the source of function "${fn.name}": ${code}${writtenBy}`, function: fn.name }];
  }
  const inputHash = inputHashOf(fn, sourceBytes);
  const base = {
    name: fn.name,
    artifact: `${fn.name}.wasm`,
    source: fn.sourceRelative,
    inputHash,
    entry: fn.entry,
    limits: { ...fn.limits },
    routes: fn.routes.map((route) => ({ ...route })),
    // Written only for what is not the default, so an args project's manifest reads as it always did.
    ...(fn.abi === 'wagi' ? { abi: fn.abi } : {}),
    ...(Object.keys(fn.env).length > 0 ? { env: { ...fn.env } } : {}),
  };

  const reused = await reuse(buildDir, previous, inputHash);
  if (reused && previous) {
    const entry = { ...previous, ...base };
    return { entry, bytes: reused, status: 'up to date', durationMs: performance.now() - started };
  }
  if (reuseOnly) return undefined;

  let moduleBytes = sourceBytes;
  if (extname(fn.source) === '.wat') {
    const compiled = await compileWat(shownSource, Buffer.from(sourceBytes).toString('utf8'));
    if ('problems' in compiled) return compiled.problems;
    moduleBytes = compiled.bytes;
  }
  const check = checkModule(moduleBytes, fn);
  if (!check.ok) {
    return check.errors.map((message) => ({ file: shownSource, message: `function "${fn.name}" ${message}` }));
  }
  const { bytes, signature, imports, memory } = check.info;
  const entry: FunctionArtifact = { ...base, sha256: sha256(bytes), size: bytes.length, signature, imports, memory };
  return { entry, bytes, status: 'built', durationMs: performance.now() - started };
}

export async function buildProject(config: ResolvedConfig, options: BuildOptions = {}): Promise<BuildResult> {
  const cwd = options.cwd ?? process.cwd();
  const display = (path: string) => {
    const rel = relative(cwd, path);
    return rel.startsWith('..') ? path : rel;
  };
  const known = new Set(config.functions.map((fn) => fn.name));
  const unknown = (options.only ?? []).filter((name) => !known.has(name));
  if (unknown.length > 0) {
    throw functionNotFound(unknown, { in: display(config.file), hint: `functions: ${[...known].join(', ')}` });
  }

  const buildDir = buildDirOf(config);
  const previous = await previousBuild(buildDir);
  const requested = options.only?.length ? config.functions.filter((fn) => options.only?.includes(fn.name)) : config.functions;
  const runFor = new Set(options.runCommandsOf ?? requested.map((fn) => fn.name));
  const commands = new Set(requested.flatMap((fn) => (fn.build !== undefined && runFor.has(fn.name) ? [fn.build] : [])));
  // A command that runs writes the sources of every function sharing it: they are all built from what it
  // wrote (even with --function naming one of them), and all fail with it.
  const withCommands = config.functions.filter((fn) => fn.build !== undefined && commands.has(fn.build));
  const selected = config.functions.filter((fn) => requested.includes(fn) || withCommands.includes(fn));

  const runAndCompile = async () => {
    const commanded = await runCommands(config, withCommands, display, options);
    const built: Built[] = [];
    const problems: Problem[] = [...commanded.problems];
    for (const [index, fn] of selected.entries()) {
      // Its stale output must not pass for a build of what the command failed on.
      if (commanded.failed.has(fn.name)) continue;
      options.onProgress?.({ name: fn.name, index, total: selected.length });
      const outcome = await buildFunction(fn, buildDir, previous.get(fn.name), display);
      if (Array.isArray(outcome)) problems.push(...outcome);
      else if (outcome) built.push(outcome);
    }
    return { commanded, built, problems };
  };
  // Two processes running one compiler on the same output would read each other's half-written files; a build
  // that runs no command still reads what the commands write.
  const { commanded, built, problems } = config.functions.some((fn) => fn.build !== undefined)
    ? await withBuildLock(dirname(buildDir), runAndCompile, {
        name: 'commands.lock',
        waitLimitMs: COMMANDS_WAIT_LIMIT_MS,
        signal: options.signal,
      })
    : await runAndCompile();
  if (problems.length > 0) {
    const count = problems.length === 1 ? '1 error' : `${problems.length} errors`;
    throw new ProblemsError('BuildFailed', `build failed with ${count}; ${display(buildDir)} was left as it was:`, problems);
  }

  // With --function, the others are carried over only while they are still current
  // (never compiled: building only the named ones is the point of the flag).
  const carried: Built[] = [];
  for (const fn of config.functions) {
    if (selected.includes(fn)) continue;
    const outcome = await buildFunction(fn, buildDir, previous.get(fn.name), display, true);
    if (outcome && !Array.isArray(outcome)) carried.push(outcome);
  }

  const order = new Map(config.functions.map((fn, index) => [fn.name, index]));
  const all = [...built, ...carried].sort((a, b) => (order.get(a.entry.name) ?? 0) - (order.get(b.entry.name) ?? 0));
  const manifest: BuildManifest = {
    version: MANIFEST_VERSION,
    service: config.service,
    stage: config.stage,
    builtAt: new Date().toISOString(),
    functions: all.map((item) => item.entry),
  };
  await withBuildLock(dirname(buildDir), () =>
    withFileSystemErrors('write the build to', display(buildDir), () => writeBuildDir(buildDir, manifest, all)),
  );
  return {
    buildDir,
    manifest,
    reports: built.map((item) => ({ name: item.entry.name, status: item.status, durationMs: item.durationMs })),
    commands: commanded.reports,
    artifacts: new Map(all.map((item) => [item.entry.name, item.bytes])),
  };
}

interface CommandsOutcome {
  reports: CommandReport[];
  problems: Problem[];
  /** Functions whose command failed. */
  failed: Set<string>;
}

/** Runs each distinct `build:` command once, in nano.yml order, one at a time (compilers are heavy). */
async function runCommands(
  config: ResolvedConfig,
  functions: readonly ResolvedFunction[],
  display: (path: string) => string,
  { onCommand, signal }: BuildOptions,
): Promise<CommandsOutcome> {
  const outcome: CommandsOutcome = { reports: [], problems: [], failed: new Set() };
  const owners = new Map<string, ResolvedFunction[]>();
  for (const fn of functions) {
    if (fn.build !== undefined) owners.set(fn.build, [...(owners.get(fn.build) ?? []), fn]);
  }
  for (const [command, sharing] of owners) {
    const names = sharing.map((fn) => fn.name);
    onCommand?.({ command, functions: names });
    const run = await runBuildCommand(command, config.dir, { signal });
    outcome.reports.push({ command, functions: names, durationMs: run.durationMs });
    if (run.ok) continue;
    for (const { name, buildAt } of sharing) {
      outcome.failed.add(name);
      outcome.problems.push({
        file: display(config.file),
        line: buildAt?.line,
        column: buildAt?.column,
        path: `functions.${name}.build`,
        message: `the build command \`${command}\` ${run.outcome}${run.outputTail ? '; its output ended with:' : ' and printed nothing'}`,
        detail: run.outputTail ? run.outputTail.replace(/^/gm, '    ') : undefined,
        function: name,
      });
    }
  }
  return outcome;
}

async function writeBuildDir(buildDir: string, manifest: BuildManifest, items: Built[]): Promise<void> {
  const suffix = `${process.pid}-${Date.now().toString(36)}`;
  const staging = `${buildDir}.tmp-${suffix}`;
  const retired = `${buildDir}.old-${suffix}`;
  await mkdir(staging, { recursive: true });
  try {
    for (const item of items) await writeFile(join(staging, item.entry.artifact), item.bytes);
    // Owner only: a wagi function's env values (substituted from the environment, secrets often) are in it.
    await writeFile(join(staging, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o600 });
    let hadPrevious = true;
    try {
      await rename(buildDir, retired);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      hadPrevious = false;
    }
    try {
      await rename(staging, buildDir);
    } catch (error) {
      if (hadPrevious) await rename(retired, buildDir);
      throw error;
    }
    if (hadPrevious) await rm(retired, { recursive: true, force: true });
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    throw error;
  }
}
