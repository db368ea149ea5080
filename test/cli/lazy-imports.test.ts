/**
 * `nano --version`, `nano --help` and `nano <command> --help` load yargs and the
 * command definitions alone: the heavy packages (wabt, ajv, hono, chokidar, ...)
 * wait for a command that uses them (see main.ts). Checked on `node dist/bin.js`
 * by recording every file the process imports; needs `npm run build` first.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { removeTempProjects, REPO_ROOT, tempProject, yml } from '../helpers/project.js';
import { SUM_WAT } from '../helpers/wat.js';

const BIN = join(REPO_ROOT, 'dist', 'bin.js');
const RECORDER = fileURLToPath(new URL('./record-imports.mjs', import.meta.url));

// Of nano's own dependencies, only the argument parser is needed to print usage.
const { dependencies } = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
const HEAVY = Object.keys(dependencies).filter((name) => name !== 'yargs');

afterEach(removeTempProjects);

beforeAll(() => {
  if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run \`npm run build\` before these tests (\`npm test\` does)`);
});

/** The npm packages of the files the recorder logged, sorted. */
function packagesIn(log: string): string[] {
  const urls = existsSync(log) ? readFileSync(log, 'utf8').split('\n') : [];
  return [...new Set(urls.flatMap((url) => /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url)?.[1] ?? []))].sort();
}

/** Runs `nano ...args` and returns its result with the npm packages it imported. */
async function nanoImporting(args: string[]) {
  const log = join(await tempProject(), 'imports.txt');
  const run = spawnSync(process.execPath, ['--import', RECORDER, BIN, ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, NANO_TEST_IMPORT_LOG: log },
    encoding: 'utf8',
    // spawnSync blocks the event loop, so vitest's own timeout could not end a hung child.
    timeout: 20_000,
  });
  expect(run.error).toBeUndefined();
  return { ...run, packages: packagesIn(log) };
}

/** Starts a serving command (`dev`, `server`), stops it once it listens, and returns the npm packages it imported. */
async function serveImporting(args: string[]): Promise<string[]> {
  const log = join(await tempProject(), 'imports.txt');
  const child = spawn(process.execPath, ['--import', RECORDER, BIN, ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, NANO_TEST_IMPORT_LOG: log, NANO_REGISTRY: '', NANO_TOKEN: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  try {
    let output = '';
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (/listening on http/.test(output)) resolve();
      });
      child.once('exit', () => reject(new Error(`nano ${args.join(' ')} exited before listening:\n${output}`)));
    });
  } finally {
    child.kill('SIGKILL');
    await exited;
  }
  return packagesIn(log);
}

describe('what nano imports', () => {
  const usageOnly = [
    '--version',
    '--help',
    ...['init', 'build', 'dev', 'server', 'deploy', 'invoke', 'info', 'logs', 'rollback', 'remove', 'registry', 'registry copy'].map(
      (command) => `${command} --help`,
    ),
  ];
  it.each(usageOnly)('nano %s loads yargs and none of the other dependencies', async (line) => {
    const run = await nanoImporting(line.split(' '));
    expect(run.status).toBe(0);
    expect(run.packages).toContain('yargs');
    expect(run.packages.filter((name) => HEAVY.includes(name))).toEqual([]);
  });

  it('nano logs talks to the platform without loading the builder, the config reader or the server', async () => {
    // Port 1 is refused by fetch itself: the command runs to its end without a network.
    const run = await nanoImporting(['logs', 'sum', '--url', 'http://127.0.0.1:1']);
    expect(run.stderr).toContain('cannot reach http://127.0.0.1:1');
    expect(run.status).toBe(1);
    expect(run.packages).toContain('yargs');
    expect(run.packages.filter((name) => HEAVY.includes(name))).toEqual([]);
  });

  it('nano dev and a nano server on a data folder never load the Redis client', async () => {
    const dir = await tempProject({
      'nano.yml': yml('service: demo', 'functions:', '  sum: { source: functions/sum.wat }'),
      'functions/sum.wat': SUM_WAT,
    });
    const dev = await serveImporting(['dev', '-c', join(dir, 'nano.yml'), '--port', '0']);
    expect(dev).toEqual(expect.arrayContaining(['hono', 'wabt']));
    expect(dev).not.toContain('ioredis');
    const server = await serveImporting(['server', '--port', '0', '--data', join(dir, 'data'), '--drain-delay', '0']);
    expect(server).toContain('hono');
    expect(server).not.toContain('ioredis');
    // The recorder would see it: a server on a Redis registry loads it (and stops, as nothing listens on port 1).
    const redis = await nanoImporting(['server', '--port', '0', '--data', join(dir, 'data'), '--registry', 'redis://127.0.0.1:1']);
    expect(redis.stderr).toContain('cannot be reached');
    expect(redis.packages).toContain('ioredis');
  });

  it('nano build does load the builder (the recorder sees what a command imports)', async () => {
    const dir = await tempProject({
      'nano.yml': yml('service: demo', 'functions:', '  sum: { source: functions/sum.wat }'),
      'functions/sum.wat': SUM_WAT,
    });
    const run = await nanoImporting(['build', '-c', join(dir, 'nano.yml')]);
    expect(run.status).toBe(0);
    expect(run.packages).toEqual(expect.arrayContaining(['wabt', 'yaml', 'ajv']));
  });
});
