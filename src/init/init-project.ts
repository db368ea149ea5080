/**
 * Scaffolds a project from templates/<name>/. The files are written to a
 * staging folder first and moved into place in one rename, so a failure never
 * leaves half a project behind.
 */
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, rmdir, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { NanoError } from '../errors.js';
import { fileSystemError } from '../file-system-error.js';
import { PACKAGE_ROOT } from '../package-root.js';

const TEMPLATES_DIR = join(PACKAGE_ROOT, 'templates');
const SCHEMA_FILE = join(PACKAGE_ROOT, 'schema', 'nano.schema.json');
/**
 * Where a project keeps its copy of the schema, for the editor: nano.yml's modeline names it relative to
 * itself, so it travels with the folder (moved, copied, cloned: the template's .gitignore keeps it in git)
 * and does not depend on where, or whether, nano is installed. A path into the installed package would
 * break on a move (relative) or on a reinstall, an nvm switch or another machine (absolute).
 */
export const PROJECT_SCHEMA_FILE = '.nano/nano.schema.json';
/** As the modeline names it: explicitly relative, resolved against nano.yml's folder. */
const MODELINE_SCHEMA = `./${PROJECT_SCHEMA_FILE}`;
/** npm drops files named .gitignore from packages, so templates ship them without the dot. */
const RENAMED: Record<string, string> = { gitignore: '.gitignore' };

export interface InitOptions {
  /**
   * How the user runs nano (`nano`, `npx nano-wasm`, `node ../dist/bin.js`), for the next steps; `nano` by
   * default. A function is asked once the project exists (whether it has a package.json can matter): the
   * CLI works it out from how it was started (src/cli/invocation.ts).
   */
  command?: string | (() => string);
}

export interface InitResult {
  service: string;
  /** Files created, relative to the project folder. */
  files: string[];
  nextSteps: string[];
}

export function listTemplates(): string[] {
  return existsSync(TEMPLATES_DIR) ? readdirSync(TEMPLATES_DIR).sort() : [];
}

/** A valid service name from a folder name: `My Service` → `my-service`. */
export function serviceNameFor(dir: string): string {
  const name = basename(dir)
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^[^a-z]+/, '')
    .replace(/-+$/, '')
    .slice(0, 63);
  return name || 'my-service';
}

async function listFiles(root: string, prefix = ''): Promise<string[]> {
  const files: string[] = [];
  for (const entry of await readdir(join(root, prefix), { withFileTypes: true })) {
    const path = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) files.push(...(await listFiles(root, path)));
    else files.push(path);
  }
  return files.sort();
}

async function ensureEmptyOrAbsent(dir: string): Promise<boolean> {
  let entries: string[];
  try {
    if (!(await stat(dir)).isDirectory()) {
      throw new NanoError('InitRefused', `${dir} exists and is not a folder`, { value: dir, hint: 'choose another path' });
    }
    entries = await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    // A file above it (ENOTDIR), a path too long, a link loop: the user's to fix, named.
    throw fileSystemError(error, 'create the project folder', dir);
  }
  if (entries.length > 0) {
    const shown = entries.slice(0, 3).join(', ') + (entries.length > 3 ? ', …' : '');
    throw new NanoError('InitRefused', `${dir} is not empty (it has ${shown}); nano init never overwrites files`, {
      value: dir,
      hint: 'run it in an empty folder, or name a new one: `nano init my-service`',
    });
  }
  return true;
}

export async function initProject(dir: string, template: string, options: InitOptions = {}): Promise<InitResult> {
  const templates = listTemplates();
  if (!templates.includes(template)) {
    throw new NanoError('TemplateNotFound', `there is no template "${template}"`, {
      value: template,
      hint: `templates: ${templates.join(', ')}`,
    });
  }
  const existed = await ensureEmptyOrAbsent(dir);
  const service = serviceNameFor(dir);
  const templateDir = join(TEMPLATES_DIR, template);
  const values: Record<string, string> = { service, schema: MODELINE_SCHEMA };

  const staging = join(dirname(dir), `.nano-init-${process.pid}-${Date.now().toString(36)}`);
  const files: string[] = [];
  try {
    for (const file of await listFiles(templateDir)) {
      const target = file
        .split('/')
        .map((part) => RENAMED[part] ?? part)
        .join('/');
      const text = (await readFile(join(templateDir, file), 'utf8')).replace(
        /\{\{(\w+)\}\}/g,
        (whole, key: string) => values[key] ?? whole,
      );
      await mkdir(dirname(join(staging, target)), { recursive: true });
      await writeFile(join(staging, target), text);
      files.push(target);
    }
    await mkdir(dirname(join(staging, PROJECT_SCHEMA_FILE)), { recursive: true });
    await writeFile(join(staging, PROJECT_SCHEMA_FILE), await readFile(SCHEMA_FILE));
    files.push(PROJECT_SCHEMA_FILE);
    if (existed) await rmdir(dir);
    await rename(staging, dir);
  } catch (error) {
    // Best effort: the cause (a read-only or full disk, say) may refuse the clean-up too, and is the error to report.
    await rm(staging, { recursive: true, force: true }).catch(() => undefined);
    if (existed && !existsSync(dir)) await mkdir(dir).catch(() => undefined);
    throw fileSystemError(error, 'create the project folder', dir);
  }
  // A template with a package.json builds with a compiler from npm (its `build:` command finds it in node_modules/.bin).
  const nano = typeof options.command === 'function' ? options.command() : (options.command ?? 'nano');
  const nextSteps = files.includes('package.json') ? ['npm install', `${nano} dev`] : [`${nano} build`, `${nano} dev`];
  return { service, files: files.sort(), nextSteps };
}
