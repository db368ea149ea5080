/**
 * nano installed the way a user installs it: the package is packed (`npm pack`, dist/ as built — run
 * `npm run build` first, as `npm test` does), then
 *
 * - installed globally into a temporary prefix: both bin names exist, and `nano-wasm init`, `build` and
 *   `dev` work from an unrelated folder (no nano checkout or node_modules above it), the next steps
 *   printed by init naming `nano-wasm`, the modeline naming a schema inside the project;
 * - installed into a temporary TypeScript project as a library: a .ts file using the API's types passes
 *   `tsc --noEmit` with the package's declarations, and `import('nano-wasm')` builds and runs a function
 *   in-process.
 *
 * Dependencies come from the npm cache, or the registry when the cache lacks them.
 */
import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const TSC = join(REPO, 'node_modules', '.bin', 'tsc');
const ADD_WAT = '(module (func (export "_start") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add))\n';

let work = '';
let tarball = '';
let prefix = '';

/** The environment of a user's shell: none of the npm_* variables of the `npm test` that may be running this. */
function userEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.toLowerCase().startsWith('npm_')));
  return { ...env, NO_COLOR: '1', ...extra };
}

/** Runs a command to completion; on a failure, the error names it and carries its output. */
function run(what: string, command: string, args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv }): SpawnSyncReturns<string> {
  const result = spawnSync(command, args, { cwd: options.cwd, env: options.env ?? userEnv(), encoding: 'utf8', timeout: 60_000 });
  if (result.status !== 0) {
    throw new Error(
      `${what} failed (\`${command} ${args.join(' ')}\` in ${options.cwd}: ` +
        `${result.error ? String(result.error) : `exit ${result.status ?? result.signal}`})\n` +
        `stdout:\n${result.stdout}\nstderr:\n${result.stderr}`,
    );
  }
  return result;
}

/** Runs `nano-wasm` as a user's shell finds it: by name, on a PATH with the prefix's bin folder. */
const withPrefixOnPath = () => userEnv({ PATH: `${join(prefix, 'bin')}${delimiter}${process.env.PATH ?? ''}` });

beforeAll(async () => {
  for (const file of ['dist/bin.js', 'dist/index.js', 'dist/index.d.ts']) {
    if (!existsSync(join(REPO, file))) {
      throw new Error(`${file} is missing: run \`npm run build\` before this test (\`npm test\` does); it packs dist/ as it is`);
    }
  }
  work = await mkdtemp(join(tmpdir(), 'nano-install-'));
  // --ignore-scripts: `prepare` would build dist/ a second time (~20 s); the test packs the build there is.
  const packed = run('npm pack', 'npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], { cwd: REPO });
  const [info] = JSON.parse(packed.stdout) as { filename: string; files: { path: string }[] }[];
  if (!info) throw new Error(`npm pack printed no package:\n${packed.stdout}`);
  tarball = join(work, info.filename);
  prefix = join(work, 'prefix');
  run(
    'npm install -g (into a temporary prefix)',
    'npm',
    ['install', '-g', '--prefix', prefix, tarball, '--no-audit', '--no-fund', '--prefer-offline'],
    {
      cwd: work,
    },
  );
}, 120_000);

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe('the packed package, installed globally', () => {
  it('ships dist/ with declarations, the schema and the templates, and no sources or tests', async () => {
    const listed = run('tar', 'tar', ['-tzf', tarball], { cwd: work }).stdout.split('\n');
    expect(listed).toEqual(
      expect.arrayContaining([
        'package/dist/bin.js',
        'package/dist/index.js',
        'package/dist/index.d.ts',
        'package/schema/nano.schema.json',
        'package/templates/wat/nano.yml',
        'package/templates/wat/gitignore',
        // The web console's page: served from the package, no CDN.
        'package/console/index.html',
        'package/console/app.js',
      ]),
    );
    expect(listed.filter((path) => /^package\/(src|test)\//.test(path))).toEqual([]);
    const manifest = JSON.parse(await readFile(join(prefix, 'lib/node_modules/nano-wasm/package.json'), 'utf8')) as {
      bin: Record<string, string>;
    };
    expect(manifest.bin).toEqual({ nano: 'dist/bin.js', 'nano-wasm': 'dist/bin.js' });
  });

  it('answers to both names', async () => {
    const { version } = JSON.parse(await readFile(join(REPO, 'package.json'), 'utf8')) as { version: string };
    for (const name of ['nano', 'nano-wasm']) {
      expect(run(`${name} --version`, join(prefix, 'bin', name), ['--version'], { cwd: work }).stdout.trim()).toBe(version);
    }
  });

  it('runs nano-wasm init, build and dev from an unrelated folder', async () => {
    const elsewhere = await mkdtemp(join(work, 'elsewhere-'));
    const env = withPrefixOnPath();

    const init = run('nano-wasm init', 'nano-wasm', ['init', 'hello'], { cwd: elsewhere, env });
    expect(init.stdout).toContain('Next:\n  cd hello\n  nano-wasm build\n  nano-wasm dev\n');
    const project = join(elsewhere, 'hello');
    const modeline = /^# yaml-language-server: \$schema=(\S+)\n/.exec(await readFile(join(project, 'nano.yml'), 'utf8'));
    expect(modeline?.[1], 'the modeline of nano.yml').toBe('./.nano/nano.schema.json');
    expect(existsSync(resolve(project, modeline?.[1] ?? ''))).toBe(true);

    const build = run('nano-wasm build', 'nano-wasm', ['build'], { cwd: project, env });
    expect(build.stdout).toMatch(/^1 function → .*\(1 built, 0 up to date\)/m);

    const dev = spawn('nano-wasm', ['dev', '--port', '0', '--host', '127.0.0.1'], { cwd: project, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    dev.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    dev.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    const exited = new Promise<number | null>((done) => dev.on('exit', (code) => done(code)));
    try {
      const url = await new Promise<string>((done, fail) => {
        const timer = setTimeout(
          () => fail(new Error(`nano-wasm dev printed no listening line in 20 s\nstdout:\n${out}\nstderr:\n${err}`)),
          20_000,
        );
        const check = () => {
          const match = /listening on (http:\/\/\S+)/.exec(out);
          if (match?.[1]) {
            clearTimeout(timer);
            done(match[1]);
          }
        };
        dev.stdout.on('data', check);
        void exited.then((code) => {
          clearTimeout(timer);
          fail(new Error(`nano-wasm dev exited (${code}) before listening\nstdout:\n${out}\nstderr:\n${err}`));
        });
      });
      const response = await fetch(`${url}/exec/add?5,2`);
      expect(await response.text(), `GET ${url}/exec/add?5,2`).toBe('7');
      expect((await fetch(`${url}/add?40,2`)).status).toBe(200);
    } finally {
      dev.kill('SIGTERM');
    }
    expect(await exited, `nano-wasm dev's exit code after SIGTERM\nstderr:\n${err}`).toBe(0);
  }, 60_000);
});

describe('the packed package, as a library', () => {
  it('type-checks a TypeScript consumer and builds and runs a function in-process', async () => {
    const consumer = join(work, 'consumer');
    await mkdir(join(consumer, 'app/functions'), { recursive: true });
    await writeFile(join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
    run('npm install (the tarball, into a consumer project)', 'npm', ['install', tarball, '--no-audit', '--no-fund', '--prefer-offline'], {
      cwd: consumer,
    });
    // A project's own dependency, run through npx: the next steps say npx nano-wasm, and they work.
    const viaNpx = run('npx nano-wasm init', 'npx', ['--no', 'nano-wasm', 'init', 'site'], { cwd: consumer });
    expect(viaNpx.stdout).toContain('Next:\n  cd site\n  npx nano-wasm build\n  npx nano-wasm dev\n');
    run('npx nano-wasm build (as init suggested)', 'npx', ['--no', 'nano-wasm', 'build'], { cwd: join(consumer, 'site') });
    // The script itself, from an unrelated folder: node and its path.
    const viaNode = run(
      'node …/dist/bin.js init',
      process.execPath,
      [join(consumer, 'node_modules/nano-wasm/dist/bin.js'), 'init', 'by-path'],
      {
        cwd: work,
      },
    );
    // Typed in work/by-path: the relative path is the shorter one.
    expect(viaNode.stdout).toContain('Next:\n  cd by-path\n  node ../consumer/node_modules/nano-wasm/dist/bin.js build\n');

    await writeFile(join(consumer, 'app/nano.yml'), 'service: lib-demo\nfunctions:\n  add: { source: functions/add.wat }\n');
    await writeFile(join(consumer, 'app/functions/add.wat'), ADD_WAT);

    await writeFile(
      join(consumer, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          lib: ['ES2023'],
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          strict: true,
          noEmit: true,
          types: ['node'],
          typeRoots: [join(REPO, 'node_modules/@types')],
          // Every declaration file is checked too: nano's must name only types its dependencies provide
          // (an import of a dev-only package such as yargs's types would fail here, not turn into any).
          skipLibCheck: false,
        },
        files: ['consumer.ts'],
      }),
    );
    await writeFile(
      join(consumer, 'consumer.ts'),
      [
        `import {`,
        `  buildProject, createClient, createExecutor, ControlClient, NanoError, resolveConfig,`,
        `  type BuildResult, type Executor, type FunctionList, type InvokeResult, type ResolvedConfig,`,
        `} from 'nano-wasm';`,
        ``,
        `export async function addInProcess(configPath: string): Promise<string> {`,
        `  const config: ResolvedConfig = await resolveConfig(configPath, { env: {} });`,
        `  const build: BuildResult = await buildProject(config, { cwd: config.dir });`,
        `  const executor: Executor = createExecutor({ poolSize: 1 });`,
        `  try {`,
        `    for (const fn of build.manifest.functions) await executor.deploy(fn, build.artifacts.get(fn.name)!, 1);`,
        `    const result: InvokeResult = await executor.invoke('add', [5, 2]);`,
        `    return result.value;`,
        `  } catch (error) {`,
        `    if (error instanceof NanoError) return error.code;`,
        `    throw error;`,
        `  } finally {`,
        `    await executor.close();`,
        `  }`,
        `}`,
        ``,
        `export function listRemote(url: string): Promise<FunctionList> {`,
        `  const client: ControlClient = createClient(url, process.env.NANO_TOKEN);`,
        `  return client.listFunctions();`,
        `}`,
        ``,
        `// The declarations are real types, not any:`,
        `export function misuse(executor: Executor, config: ResolvedConfig): void {`,
        `  // @ts-expect-error a call's arguments are numbers, bigints or strings`,
        `  void executor.invoke('add', [{}]);`,
        `  // @ts-expect-error ResolvedConfig has no "name"; it is "service"`,
        `  void config.name;`,
        `}`,
        ``,
      ].join('\n'),
    );
    run('tsc --noEmit (a consumer of the packed declarations)', TSC, ['-p', consumer], { cwd: consumer });

    await writeFile(
      join(consumer, 'run.mjs'),
      [
        `const nano = await import('nano-wasm');`,
        `const config = await nano.resolveConfig('app/nano.yml', { env: {} });`,
        `const build = await nano.buildProject(config, { cwd: config.dir });`,
        `const executor = nano.createExecutor({ poolSize: 1 });`,
        `for (const fn of build.manifest.functions) await executor.deploy(fn, build.artifacts.get(fn.name), 1);`,
        `const result = await executor.invoke('add', [40, 2]);`,
        `await executor.close();`,
        `const internal = await import('nano-wasm/dist/cli/main.js').then(() => 'importable', (error) => error.code);`,
        `const { existsSync } = await import('node:fs');`,
        `const schema = existsSync(new URL(import.meta.resolve('nano-wasm/schema/nano.schema.json')));`,
        `console.log(JSON.stringify({ value: result.value, api: Object.keys(nano).sort(), internal, schema }));`,
      ].join('\n'),
    );
    const ran = run('node run.mjs (import("nano-wasm") at runtime)', process.execPath, ['run.mjs'], { cwd: consumer });
    const output = JSON.parse(ran.stdout) as { value: string; api: string[]; internal: string; schema: boolean };
    expect(output.value).toBe('42');
    expect(output.api).toEqual(
      expect.arrayContaining(['resolveConfig', 'buildProject', 'createExecutor', 'ControlClient', 'createClient', 'NanoError', 'main']),
    );
    // Only the documented entry point is public: internals may move between versions.
    expect(output.internal).toBe('ERR_PACKAGE_PATH_NOT_EXPORTED');
    // The schema is exported for tools that want nano.yml's reference (editor settings, generators).
    expect(output.schema).toBe(true);
    expect(existsSync(join(consumer, 'app/.nano/build/manifest.json'))).toBe(true);
  }, 60_000);
});
