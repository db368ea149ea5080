/**
 * What `nano dev` watches for a resolved config, and what a changed path means.
 *
 * Watched: the nano.yml, every function's source (unless a `build:` command
 * writes it), and the files matching each function's `watch:` globs. Never watched: anything under the project's
 * `.nano/` (the build writes there, so a build can never trigger itself), and
 * `node_modules/` and `.git/` below a glob's base. Chokidar ≥ 4 has no globs, so
 * the plan hands it plain folders (each watched file's folder, each glob's
 * base) and prunes everything else through `isIgnored`: siblings of a source
 * are never even stat'ed twice, and a big project folder is not walked.
 */
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import type { Stats } from 'node:fs';
import picomatch from 'picomatch';
import type { ResolvedConfig } from '../config/index.js';

/** Folder names never walked below a glob's base. */
const EXCLUDED_DIRS = new Set(['node_modules', '.git', '.nano']);

export interface ChangeMeaning {
  /** The path is the nano.yml. */
  config: boolean;
  /** Functions whose source is the path or whose `watch:` globs match it. */
  functions: string[];
}

export interface WatchPlan {
  /** Folders to give the watcher; `isIgnored` prunes inside them. */
  readonly roots: readonly string[];
  /** Files watched by name: the nano.yml and the sources. */
  readonly files: readonly string[];
  /** The `watch:` globs, absolute. */
  readonly globs: readonly string[];
  /** Equal keys mean equal plans (no need to restart the watcher). */
  readonly key: string;
  /** Chokidar's `ignored`: true for every path that cannot matter. */
  isIgnored(path: string, stats?: Stats): boolean;
  /** What a change of `path` means, or undefined when it means nothing. */
  classify(path: string): ChangeMeaning | undefined;
}

/** `child` is `parent` or lies below it. */
function within(parent: string, child: string): boolean {
  const rel = relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

const toPosix = (path: string) => (sep === '/' ? path : path.split(sep).join('/'));

interface GlobWatch {
  name: string;
  base: string;
  pattern: string;
  matches: (path: string) => boolean;
}

export function watchPlan(config: ResolvedConfig): WatchPlan {
  const nanoDir = resolve(config.dir, '.nano');
  const fileOwners = new Map<string, string[]>();
  fileOwners.set(config.file, []);
  // A source written by a `build:` command is that function's output: a change of it must never rerun
  // the command, even when the function's `watch:` globs cover it, or every build would trigger the next.
  // (Another function may watch it: one built from the other's output.)
  const writers = new Map<string, Set<string>>();
  for (const fn of config.functions) {
    if (fn.build !== undefined) writers.set(fn.source, new Set([...(writers.get(fn.source) ?? []), fn.name]));
    else fileOwners.set(fn.source, [...(fileOwners.get(fn.source) ?? []), fn.name]);
  }
  const writes = (name: string, path: string) => writers.get(path)?.has(name) === true;

  const globs: GlobWatch[] = [];
  for (const fn of config.functions) {
    for (const written of fn.watch) {
      const pattern = toPosix(resolve(config.dir, written));
      const scan = picomatch.scan(pattern);
      if (!scan.isGlob) {
        // A plain path: watched by name, like a source.
        const file = resolve(pattern);
        if (writes(fn.name, file)) continue;
        fileOwners.set(file, [...(fileOwners.get(file) ?? []), fn.name]);
        continue;
      }
      const matcher = picomatch(pattern);
      globs.push({ name: fn.name, base: resolve(scan.base || '/'), pattern, matches: (path) => matcher(toPosix(path)) });
    }
  }

  const roots = new Set<string>();
  for (const file of fileOwners.keys()) roots.add(dirname(file));
  for (const glob of globs) roots.add(glob.base);
  const files = [...fileOwners.keys()].filter((file) => !within(nanoDir, file)).sort();
  const rootList = [...roots].filter((root) => !within(nanoDir, root)).sort();
  const patterns = globs.map((glob) => glob.pattern);

  const excludedBelow = (base: string, path: string) =>
    relative(base, path)
      .split(sep)
      .some((part) => EXCLUDED_DIRS.has(part));
  const isOwnOutput = (path: string) => within(nanoDir, path);
  /** The functions a change of `path` concerns, but never the ones whose command writes it. */
  const concerned = (path: string) => {
    const names = new Set(fileOwners.get(path) ?? []);
    for (const glob of globs) {
      if (within(glob.base, path) && !excludedBelow(glob.base, path) && glob.matches(path)) names.add(glob.name);
    }
    return [...names].filter((name) => !writes(name, path));
  };

  return {
    roots: rootList,
    files,
    globs: patterns,
    key: JSON.stringify([rootList, files, [...patterns].sort()]),
    isIgnored(path, stats) {
      if (isOwnOutput(path)) return true;
      if (writers.has(path)) return concerned(path).length === 0;
      if (fileOwners.has(path)) return false;
      // A root, or a folder above one (where the watcher waits for a root that does not exist yet).
      if ([...roots].some((root) => within(path, root))) return false;
      const covering = globs.filter((glob) => within(glob.base, path) && !excludedBelow(glob.base, path));
      if (covering.length === 0) return true;
      // Folders below a glob's base are walked; a file that matches no glob needs no watcher.
      return stats?.isFile() === true && !covering.some((glob) => glob.matches(path));
    },
    classify(path) {
      if (isOwnOutput(path)) return undefined;
      const names = concerned(path);
      const isConfig = path === config.file;
      if (!isConfig && names.length === 0) return undefined;
      return { config: isConfig, functions: names };
    },
  };
}
