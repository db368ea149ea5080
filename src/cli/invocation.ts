/**
 * How the user ran nano, so that the commands nano suggests (`nano init`'s next steps) work when typed
 * the same way in the folder they are meant for. Node keeps the path it was started with in
 * process.argv[1] (a bin link is not resolved), which tells the cases apart:
 *
 * - `<root>/node_modules/.bin/nano[-wasm]`: run through `npx` (or an npm script). `npx nano-wasm` when
 *   npx will find this same nano from the folder: a registry package npx fetched (`npx nano-wasm@0.1.0`
 *   keeps its version), or a local install or checkout whose folder holds the project. Never
 *   `npx nano`: where nano-wasm is not installed, npx would fetch the unrelated `nano` package.
 *   Otherwise `node <script>`, which works anywhere.
 * - a bin link in a folder on PATH (a global install, `npm link`) → its name, `nano` or `nano-wasm`.
 * - a bin link elsewhere (`/opt/tools/bin/nano-wasm`) → that absolute path.
 * - the script itself (`node dist/bin.js`) → `node <path>`, relative to the folder when that is
 *   shorter, absolute otherwise.
 */
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { basename, delimiter, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';

const BIN_NAMES = new Set(['nano', 'nano-wasm']);

/** What invocationOf reads of the file system; injected in tests. */
export interface InvocationProbe {
  realpath(path: string): string;
  readText(path: string): string | undefined;
  exists(path: string): boolean;
}

const fileSystem: InvocationProbe = {
  realpath: (path) => {
    try {
      return realpathSync(path);
    } catch {
      return path;
    }
  },
  readText: (path) => {
    try {
      return readFileSync(path, 'utf8');
    } catch {
      return undefined;
    }
  },
  exists: existsSync,
};

/** Quotes a path for a POSIX shell when it needs it. */
function shellWord(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}

const inside = (dir: string, root: string) => dir === root || dir.startsWith(root.endsWith(sep) ? root : root + sep);

function nodeScript(path: string, from: string): string {
  const fromHere = relative(from, path);
  const shorter = fromHere.length < path.length && !fromHere.startsWith(`..${sep}..${sep}..${sep}`) ? fromHere : path;
  return `node ${shellWord(shorter)}`;
}

/** The packages npx was asked for, when `root` is one of its cache folders (`~/.npm/_npx/<hash>`). */
function npxPackagesOf(root: string, probe: InvocationProbe): string[] | undefined {
  const text = probe.readText(join(root, 'package.json'));
  if (text === undefined) return undefined;
  try {
    const packages = (JSON.parse(text) as { _npx?: { packages?: unknown } })._npx?.packages;
    return Array.isArray(packages) ? packages.filter((item): item is string => typeof item === 'string') : undefined;
  } catch {
    return undefined;
  }
}

/**
 * @param script process.argv[1]: the path nano was started with.
 * @param env the environment (PATH is read).
 * @param from the folder the suggested commands will be typed in.
 */
export function invocationOf(
  script: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
  from: string,
  probe: InvocationProbe = fileSystem,
): string {
  if (!script) return 'nano';
  const path = resolve(script);
  const name = basename(path);
  if (!BIN_NAMES.has(name)) return nodeScript(path, from);

  const binDir = dirname(path);
  if (basename(binDir) === '.bin' && basename(dirname(binDir)) === 'node_modules') {
    const root = dirname(dirname(binDir));
    const npx = npxPackagesOf(root, probe);
    const [requested] = npx ?? [];
    // A registry package: `npx nano-wasm` (or the version asked for) fetches the same one from anywhere.
    if (requested !== undefined && /^nano-wasm(@[^/\\]+)?$/.test(requested)) return `npx ${requested}`;
    // A local folder (npx in a checkout), or a project's own dependency: npx finds it from inside that
    // folder only, and not from a project with a package.json of its own.
    const local = npx ? (requested !== undefined && isAbsolute(requested) ? requested : undefined) : root;
    if (local !== undefined && inside(from, local) && (from === local || !probe.exists(join(from, 'package.json')))) {
      return 'npx nano-wasm';
    }
    return nodeScript(probe.realpath(path), from);
  }
  const onPath = (env.PATH ?? '')
    .split(delimiter)
    .filter((entry) => entry !== '' && isAbsolute(entry))
    .some((entry) => resolve(entry) === binDir);
  return onPath ? name : shellWord(path);
}
