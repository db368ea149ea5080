/**
 * `nano init --template assemblyscript`, end to end: the project it creates
 * compiles with the real asc (nano's own dev dependency stands in for the
 * project's `npm install`) through the function's `build:` command, and the
 * WAGI handler answers per method when served.
 */
import { readFile, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startDevSession, type DevSession } from '../../src/dev/index.js';
import { initProject } from '../../src/init/index.js';
import { REPO_ROOT, removeTempProjects, tempProject } from '../helpers/project.js';

let session: DevSession | undefined;

afterEach(async () => {
  await session?.close();
  session = undefined;
  await removeTempProjects();
});

type PackageJson = { devDependencies: Record<string, string> };
const readPackage = async (dir: string) => JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as PackageJson;

describe('the assemblyscript template', () => {
  it('pins the compiler versions that nano itself is tested with', async () => {
    const template = await readPackage(join(REPO_ROOT, 'templates/assemblyscript'));
    const nano = await readPackage(REPO_ROOT);
    expect(Object.keys(template.devDependencies).sort()).toEqual(['@assemblyscript/wasi-shim', 'assemblyscript']);
    for (const [name, version] of Object.entries(template.devDependencies)) expect(nano.devDependencies[name]).toBe(version);
  });

  it('creates a project whose build command compiles a WAGI function that answers GET, POST and others', async () => {
    const dir = join(await tempProject(), 'greeter');
    const created = await initProject(dir, 'assemblyscript');
    expect(created.files).toEqual([
      '.gitignore',
      '.nano/nano.schema.json',
      'asconfig.json',
      'assembly/hello.ts',
      'assembly/tsconfig.json',
      'nano.yml',
      'package.json',
    ]);
    expect(created.nextSteps).toEqual(['npm install', 'nano dev']);
    expect((await readPackage(dir)) as unknown).toMatchObject({ name: 'greeter', private: true });
    await symlink(join(REPO_ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');

    const logs: string[] = [];
    const internalErrors: unknown[] = [];
    session = await startDevSession({
      configPath: 'nano.yml',
      stage: 'dev',
      env: {},
      cwd: dir,
      port: 0,
      host: '127.0.0.1',
      watch: false,
      executor: { poolSize: 1 },
      onInvocation: (entry) => logs.push(...entry.lines),
      onInternalError: (error) => internalErrors.push(error),
    });
    expect(session.initial.failures).toEqual([]);
    const [hello] = session.served();
    expect(hello?.artifact).toMatchObject({ name: 'hello', abi: 'wagi', source: 'build/hello.wasm' });

    const greeting = await fetch(`${session.url}/hello/J%C3%BCrgen`);
    expect(greeting.status).toBe(200);
    expect(greeting.headers.get('content-type')).toBe('application/json');
    expect(await greeting.json()).toEqual({ greeting: 'Hello, Jürgen!' });
    expect(await (await fetch(`${session.url}/exec/hello?name=a%22b+c`)).json()).toEqual({ greeting: 'Hello, a"b c!' });

    const posted = await fetch(`${session.url}/hello`, { method: 'POST', body: 'x'.repeat(3_000_000) });
    expect(await posted.json()).toEqual({ received: 3_000_000 });
    expect(logs).toContain('received 3000000 bytes');

    const refused = await fetch(`${session.url}/hello`, { method: 'PUT' });
    expect(refused.status).toBe(405);
    expect(await refused.json()).toEqual({ error: 'PUT is not supported; use GET or POST' });
    expect(internalErrors).toEqual([]);
  }, 120_000);
});
