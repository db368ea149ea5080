/**
 * `nano server` as a real process on port 0, driven over HTTP with the deploy
 * protocol: what the server refuses, and what survives restarts and crashes.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FAILPOINTS } from '../../src/registry/index.js';
import { MAX_CONTROL_JSON_BYTES } from '../../src/server/limits.js';
import type { DeployPlan, FunctionList, VersionList } from '../../src/server/index.js';
import { build } from '../helpers/build.js';
import { killStrayProcesses, startCli } from '../helpers/cli-process.js';
import { authHeaders, commit, deploy, deployRequest, plan, startServer, TOKEN, upload } from '../helpers/platform.js';
import { removeTempProjects, tempProject, writeFiles, yml, examplesCopy } from '../helpers/project.js';

afterEach(async () => {
  await killStrayProcesses();
  await removeTempProjects();
});

const constant = (value: number) => `(module (func (export "_start") (result i32) i32.const ${value}))`;

async function constantsProject(values: Record<string, number>): Promise<string> {
  const dir = await tempProject();
  await writeConstants(dir, values);
  return dir;
}

async function writeConstants(dir: string, values: Record<string, number>): Promise<void> {
  const files: Record<string, string> = {
    'nano.yml': yml('service: consts', 'functions:', ...Object.keys(values).map((name) => `  ${name}: { source: ${name}.wat }`)),
  };
  for (const [name, value] of Object.entries(values)) files[`${name}.wat`] = constant(value);
  await writeFiles(dir, files);
}

const text = async (url: string) => (await fetch(url)).text();

async function _functionsOf(url: string): Promise<FunctionList['functions']> {
  return ((await (await fetch(`${url}/functions`, { headers: authHeaders() })).json()) as FunctionList).functions;
}

describe('deploys', () => {
  it('deploys the examples, uploads nothing for an unchanged project, and only what changed otherwise', async () => {
    const server = await startServer();
    const dir = await examplesCopy();
    const first = await deploy(server.url, await build(dir));
    expect(first.committed.functions.map((fn) => [fn.name, fn.change, fn.version])).toEqual([
      ['answer', 'created', 1],
      ['sum', 'created', 1],
      ['sleep', 'created', 1],
      ['stuck', 'created', 1],
      ['items', 'created', 1],
    ]);
    expect(first.uploadedBytes).toBeGreaterThan(0);
    expect(await text(`${server.url}/exec/sum?5,2`)).toBe('7');
    expect(await text(`${server.url}/sum?1,2`)).toBe('3');
    // The wagi example keeps its abi and route through the deploy.
    expect(await text(`${server.url}/api/items/pear`)).toBe('{"id":"pear"}\n');
    const versions = (await (await fetch(`${server.url}/functions/items/versions`, { headers: authHeaders() })).json()) as VersionList;
    expect(versions.versions[0]).toMatchObject({ abi: 'wagi', routes: [{ method: 'ANY', path: '/api/items/*' }] });

    const again = await deploy(server.url, await build(dir));
    expect(again.uploadedBytes).toBe(0);
    expect(again.committed.functions.every((fn) => fn.change === 'unchanged')).toBe(true);

    await writeFiles(dir, { 'functions/answer.wat': constant(43) });
    const changed = await deploy(server.url, await build(dir));
    expect(changed.committed.functions.filter((fn) => fn.change !== 'unchanged')).toEqual([
      { name: 'answer', version: 2, change: 'updated', url: `${server.url}/exec/answer` },
    ]);
    expect(changed.uploadedBytes).toBe((await build(dir)).manifest.functions.find((fn) => fn.name === 'answer')!.size);
    const answer = await fetch(`${server.url}/exec/answer`);
    expect(await answer.text()).toBe('43');
    expect(answer.headers.get('x-nano-version')).toBe('2');
  });

  it('never mixes two deploys that race: every function ends up from the same one', async () => {
    const server = await startServer();
    const one = await constantsProject({ f: 1, g: 1 });
    const two = await constantsProject({ f: 2, g: 2 });
    await deploy(server.url, await build(one));
    const [builtOne, builtTwo] = [await build(one), await build(two)];
    const plans = await Promise.all([plan(server.url, deployRequest(builtOne)), plan(server.url, deployRequest(builtTwo))]);
    const [planOne, planTwo] = (await Promise.all(plans.map((p) => p.json()))) as DeployPlan[];
    for (const sha256 of planTwo!.missing) {
      const fn = builtTwo.manifest.functions.find((item) => item.sha256 === sha256)!;
      await upload(server.url, sha256, new Uint8Array(await readFile(join(builtTwo.buildDir, fn.artifact))));
    }
    const results = await Promise.all([commit(server.url, planOne!.id), commit(server.url, planTwo!.id)]);
    expect(results.map((r) => r.status)).toEqual([200, 200]);
    const [f, g] = [await text(`${server.url}/exec/f`), await text(`${server.url}/exec/g`)];
    expect(f).toBe(g);
  });
});

describe('what the server refuses, leaving the registry as it was', () => {
  it('answers 401 on the control plane without the token or with a wrong one, and keeps the data plane open', async () => {
    const server = await startServer();
    await deploy(server.url, await build(await constantsProject({ f: 5 })));
    for (const headers of [{}, { authorization: 'Bearer wrong' }, { authorization: 'Basic x' }] as Record<string, string>[]) {
      for (const path of ['/functions', '/functions/f', '/functions/nope', '/functions/f/versions']) {
        const response = await fetch(`${server.url}${path}`, { headers });
        expect(response.status, path).toBe(401);
        // The same answer whether the function exists or not.
        expect(await response.json()).toEqual({
          error: {
            code: 'Unauthorized',
            message: 'missing or wrong bearer token',
            hint: 'send `Authorization: Bearer <token>`; the CLI reads it from NANO_TOKEN',
          },
        });
      }
      expect((await fetch(`${server.url}/deployments`, { method: 'POST', headers, body: '{}' })).status).toBe(401);
      expect((await fetch(`${server.url}/functions/f`, { method: 'DELETE', headers })).status).toBe(401);
    }
    expect(await text(`${server.url}/exec/f`)).toBe('5');
    // The scheme is case-insensitive (RFC 7235).
    expect((await fetch(`${server.url}/functions`, { headers: { authorization: `bearer ${TOKEN}` } })).status).toBe(200);
  });

  it('refuses a tampered artifact (hash mismatch) and an invalid or forbidden module, naming the function', async () => {
    const server = await startServer();
    const dir = await constantsProject({ f: 1 });
    await deploy(server.url, await build(dir));
    const stateBefore = await readFile(join(server.dataDir, 'state.json'), 'utf8');

    const built = await build(dir);
    const fn = built.manifest.functions[0]!;
    const tampered = new Uint8Array(await readFile(join(built.buildDir, fn.artifact)));
    tampered[tampered.length - 1] = (tampered[tampered.length - 1] ?? 0) ^ 0xff;
    const mismatch = await upload(server.url, 'd'.repeat(64), tampered);
    expect(mismatch.status).toBe(400);
    expect(((await mismatch.json()) as { error: { message: string } }).error.message).toMatch(/hash to [0-9a-f]{64}, not d{64}/);

    // Valid uploads of modules the builder would refuse: the server re-runs every check at commit.
    const { createHash } = await import('node:crypto');
    const cases: [string, Uint8Array, RegExp][] = [
      ['garbage', new TextEncoder().encode('this is not wasm'), /function "f" is refused: it is not a WebAssembly module/],
      ['forbidden import', await watBytes('(module (import "env" "foo" (func)) (func (export "_start")))'), /imports "env\.foo"/],
      [
        'memory above limit',
        await watBytes('(module (memory 5) (func (export "_start")))'),
        /needs 5 pages of memory at start, above its limit of 1/,
      ],
      ['no entry', await watBytes('(module (func (export "main")))'), /entry "_start" is not exported/],
    ];
    for (const [label, bytes, message] of cases) {
      const sha256 = createHash('sha256').update(bytes).digest('hex');
      expect((await upload(server.url, sha256, bytes)).status, label).toBeLessThan(300);
      const request = {
        service: 'consts',
        stage: 'dev',
        prune: true,
        functions: [
          {
            name: 'f',
            sha256,
            size: bytes.length,
            entry: '_start',
            limits: { memoryPages: 1, timeoutMs: 1000, cacheTtlMs: 1000, concurrency: null },
            routes: [],
          },
        ],
      };
      const planned = (await (await plan(server.url, request)).json()) as DeployPlan;
      const refused = await commit(server.url, planned.id);
      expect(refused.status, label).toBe(400);
      const error = ((await refused.json()) as { error: { code: string; message: string } }).error;
      expect(error.code, label).toBe('ModuleRefused');
      expect(error.message, label).toMatch(message);
    }
    expect(await readFile(join(server.dataDir, 'state.json'), 'utf8')).toBe(stateBefore);
    expect(await text(`${server.url}/exec/f`)).toBe('1');
  });

  it('refuses with 409 a deploy of another stage that would take over deployed functions', async () => {
    const server = await startServer();
    const built = await build(await constantsProject({ f: 1 }));
    await deploy(server.url, built);
    const stateBefore = await readFile(join(server.dataDir, 'state.json'), 'utf8');
    const planned = (await (await plan(server.url, { ...deployRequest(built), stage: 'prod' })).json()) as DeployPlan;
    const refused = await commit(server.url, planned.id);
    expect(refused.status).toBe(409);
    expect(((await refused.json()) as { error: { message: string } }).error.message).toBe(
      'function "f" is deployed for stage "dev", not "prod"',
    );
    expect(await readFile(join(server.dataDir, 'state.json'), 'utf8')).toBe(stateBefore);
  });

  it('answers 413 for a control-plane JSON body above its limit, even without a Content-Length', async () => {
    const server = await startServer();
    const chunks = (function* () {
      for (let i = 0; i < MAX_CONTROL_JSON_BYTES / (64 * 1024) + 8; i++) yield new Uint8Array(64 * 1024).fill(32);
    })();
    const stream = new ReadableStream({
      pull(controller) {
        const next = chunks.next();
        if (next.done) controller.close();
        else controller.enqueue(next.value);
      },
    });
    const response = await fetch(`${server.url}/deployments`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...authHeaders() },
      body: stream,
      duplex: 'half',
    } as RequestInit);
    expect(response.status).toBe(413);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('PayloadTooLarge');
  });

  it('answers 413 for an artifact above the upload limit, and 400 for a malformed deploy request', async () => {
    const server = await startServer({ args: ['--max-artifact-size', '1000'] });
    const big = new Uint8Array(5000);
    const { createHash } = await import('node:crypto');
    expect((await upload(server.url, createHash('sha256').update(big).digest('hex'), big)).status).toBe(413);
    const bad = await plan(server.url, { service: 'Bad Name', functions: 'x' } as never);
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { code: string } }).error.code).toBe('RequestInvalid');
  });

  it('refuses to listen beyond loopback without a token', async () => {
    const refused = startCli(['server', '--port', '0', '--host', '0.0.0.0', '--data', join(await tempProject(), 'd')], {
      env: { NANO_TOKEN: '' },
    });
    expect(await refused.exited).toBe(1);
    expect(refused.stderr()).toContain('refusing to listen on 0.0.0.0 without a token');
  });
});

describe('durability', () => {
  it('keeps every function and version across a restart', async () => {
    const first = await startServer();
    const dir = await constantsProject({ f: 1, g: 2 });
    await deploy(first.url, await build(dir));
    await writeConstants(dir, { f: 3, g: 2 });
    await deploy(first.url, await build(dir));
    expect(await first.process.stop()).toBe(0);

    const second = await startServer({ dataDir: first.dataDir });
    expect(await text(`${second.url}/exec/f`)).toBe('3');
    expect(await text(`${second.url}/exec/g`)).toBe('2');
    const versions = (await (await fetch(`${second.url}/functions/f/versions`, { headers: authHeaders() })).json()) as VersionList;
    expect(versions.versions.map((v) => [v.version, v.current])).toEqual([
      [2, true],
      [1, false],
    ]);
  });

  it.each(FAILPOINTS)('a kill -9 at %s during a deploy leaves every function at its old or its new version', async (point) => {
    const dir = await constantsProject({ f: 1, g: 1 });
    const base = await startServer();
    await deploy(base.url, await build(dir));
    expect(await base.process.stop()).toBe(0);

    const crashing = await startServer({ dataDir: base.dataDir, env: { NANO_FAILPOINTS: point } });
    await writeConstants(dir, { f: 2, g: 2 });
    await expect(deploy(crashing.url, await build(dir))).rejects.toThrow();
    await crashing.process.exited;
    expect(crashing.process.child.signalCode).toBe('SIGKILL');

    const restarted = await startServer({ dataDir: base.dataDir });
    const [f, g] = [await text(`${restarted.url}/exec/f`), await text(`${restarted.url}/exec/g`)];
    // Before the state file is replaced the deploy did not happen; after, it happened whole.
    expect(f).toBe(point === 'after-state-write' ? '2' : '1');
    expect(g).toBe(f);
    expect((await readdir(base.dataDir)).filter((name) => name.includes('.tmp-'))).toEqual([]);
    // And the platform takes the next deploy normally.
    await writeConstants(dir, { f: 3, g: 3 });
    await deploy(restarted.url, await build(dir));
    expect(await text(`${restarted.url}/exec/g`)).toBe('3');
  });
});

describe('the seed API /register/:name', () => {
  it('registers <modules-dir>/<name>.wasm and refuses names that could escape the folder', async () => {
    const dir = await examplesCopy();
    const built = await build(dir);
    const server = await startServer({ args: ['--modules-dir', built.buildDir] });
    // Registering changes the registry: with a token set, it needs the token.
    expect((await fetch(`${server.url}/register/answer`)).status).toBe(401);
    const registered = await fetch(`${server.url}/register/answer`, { headers: authHeaders() });
    expect(registered.status).toBe(200);
    expect(await registered.text()).toBe('registered answer (v1)');
    expect(await text(`${server.url}/exec/answer`)).toBe('42');
    expect(await text(`${server.url}/stats/answer`)).toMatch(/^execution time: \d+ms\nnumber of requests: 1$/);

    for (const name of ['..%2Fmanifest', '..%2F..%2Fetc%2Fpasswd', 'Answer', '.hidden']) {
      const response = await fetch(`${server.url}/register/${name}`, { headers: authHeaders() });
      expect(response.status, name).toBe(400);
    }
    expect((await fetch(`${server.url}/register/missing`, { headers: authHeaders() })).status).toBe(404);
  });

  it('needs no token on a loopback server started without one, as the seed did', async () => {
    const dir = await examplesCopy();
    const built = await build(dir);
    const server = await startServer({ token: null, args: ['--modules-dir', built.buildDir] });
    expect(await (await fetch(`${server.url}/register/sum`)).text()).toBe('registered sum (v1)');
    expect(await text(`${server.url}/exec/sum?5,2`)).toBe('7');
  });
});

async function watBytes(text: string): Promise<Uint8Array> {
  const { default: wabtInit } = await import('wabt');
  const wabt = await wabtInit();
  const module = wabt.parseWat('t.wat', text, {});
  try {
    return new Uint8Array(module.toBinary({}).buffer);
  } finally {
    module.destroy();
  }
}
