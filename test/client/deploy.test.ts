/** deployBuild against a fake control plane: what it sends, what it uploads, and what it refuses. */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Hono } from 'hono';
import { afterEach, describe, expect, it } from 'vitest';
import { sha256 } from '../../src/build/index.js';
import { ControlClient, deployBuild, type DeployProgress } from '../../src/client/index.js';
import { UPLOAD_CONCURRENCY } from '../../src/client/deploy.js';
import type { BuildManifest } from '../../src/build/manifest.js';
import { NanoError } from '../../src/errors.js';
import type { DeployCommitted, DeployRequest } from '../../src/server/control-api.js';
import { build } from '../helpers/build.js';
import { removeTempProjects, tempProject, yml } from '../helpers/project.js';
import { ANSWER_WAT, SUM_WAT } from '../helpers/wat.js';

afterEach(removeTempProjects);

async function project() {
  const dir = await tempProject({
    'nano.yml': yml(
      'service: shop',
      'functions:',
      '  answer:',
      '    source: answer.wat',
      '    description: The answer',
      '  sum:',
      '    source: sum.wat',
      '    http: { path: /sum }',
    ),
    'answer.wat': ANSWER_WAT,
    'sum.wat': SUM_WAT,
  });
  return { dir, ...(await build(dir)) };
}

/** A control plane that already holds `known` artifacts and records every call. */
function fakePlatform(known: Set<string>, missingOverride?: string[]) {
  const calls: string[] = [];
  const requests: DeployRequest[] = [];
  const uploads = new Map<string, Uint8Array>();
  const app = new Hono()
    .post('/deployments', async (c) => {
      const request = await c.req.json<DeployRequest>();
      requests.push(request);
      calls.push('plan');
      return c.json({ id: 'd1', missing: missingOverride ?? request.functions.map((fn) => fn.sha256).filter((sha) => !known.has(sha)) });
    })
    .put('/artifacts/:sha', async (c) => {
      const bytes = new Uint8Array(await c.req.arrayBuffer());
      calls.push(`put ${c.req.param('sha').slice(0, 8)}`);
      uploads.set(c.req.param('sha'), bytes);
      known.add(c.req.param('sha'));
      return c.json({ sha256: c.req.param('sha'), size: bytes.length, created: true }, 201);
    })
    .post('/deployments/:id/commit', (c) => {
      calls.push(`commit ${c.req.param('id')}`);
      const request = requests.at(-1)!;
      const body: DeployCommitted = {
        id: c.req.param('id'),
        functions: request.functions.map((fn) => ({
          name: fn.name,
          version: 1,
          change: 'created',
          url: `http://fake.test/exec/${fn.name}`,
        })),
      };
      return c.json(body);
    });
  const client = new ControlClient({ url: 'http://fake.test', token: 't', fetch: (request) => Promise.resolve(app.fetch(request)) });
  return { client, calls, requests, uploads };
}

describe('deployBuild', () => {
  it('sends the manifest, uploads only the missing artifacts with their exact bytes, then commits', async () => {
    const built = await project();
    const [answer, sum] = built.manifest.functions;
    const platform = fakePlatform(new Set([answer!.sha256]));
    const progress: DeployProgress[] = [];
    const result = await deployBuild(platform.client, { build: built, onProgress: (event) => progress.push(event) });

    expect(platform.requests[0]).toEqual({
      service: 'shop',
      stage: 'dev',
      prune: true,
      functions: [
        { name: 'answer', sha256: answer!.sha256, size: answer!.size, entry: '_start', limits: answer!.limits, routes: [] },
        {
          name: 'sum',
          sha256: sum!.sha256,
          size: sum!.size,
          entry: '_start',
          limits: sum!.limits,
          routes: [{ method: 'GET', path: '/sum' }],
        },
      ],
    });
    expect(platform.calls).toEqual(['plan', `put ${sum!.sha256.slice(0, 8)}`, 'commit d1']);
    expect(sha256(platform.uploads.get(sum!.sha256)!)).toBe(sum!.sha256);
    expect(result.uploadedBytes).toBe(sum!.size);
    expect(result.uploaded).toEqual([{ sha256: sum!.sha256, name: 'sum', size: sum!.size, created: true }]);
    expect(progress.map((event) => event.phase)).toEqual(['plan', 'upload', 'commit']);
  });

  it('uploads nothing when the platform has every artifact, and passes descriptions along', async () => {
    const built = await project();
    const platform = fakePlatform(new Set(built.manifest.functions.map((fn) => fn.sha256)));
    const result = await deployBuild(platform.client, { build: built, descriptions: new Map([['answer', 'The answer']]) });
    expect(platform.calls).toEqual(['plan', 'commit d1']);
    expect(result.uploadedBytes).toBe(0);
    expect(platform.requests[0]!.functions[0]!.description).toBe('The answer');
    expect(platform.requests[0]!.functions[1]).not.toHaveProperty('description');
  });

  it('deploys only the named functions, without pruning the others', async () => {
    const built = await project();
    const platform = fakePlatform(new Set());
    await deployBuild(platform.client, { build: built, only: ['sum'] });
    expect(platform.requests[0]!.prune).toBe(false);
    expect(platform.requests[0]!.functions.map((fn) => fn.name)).toEqual(['sum']);
  });

  it('ships the bytes of its build even when .nano/build/ changes meanwhile (another build swapping it)', async () => {
    const built = await project();
    const sum = built.manifest.functions[1]!;
    await writeFile(join(built.buildDir, 'sum.wasm'), new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]));
    const platform = fakePlatform(new Set());
    await deployBuild(platform.client, { build: built });
    expect(sha256(platform.uploads.get(sum.sha256)!)).toBe(sum.sha256);
  });

  it('refuses bytes that do not match the manifest, and never commits', async () => {
    const built = await project();
    const artifacts = new Map(built.artifacts).set('sum', new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]));
    const platform = fakePlatform(new Set());
    const error = await deployBuild(platform.client, { build: { manifest: built.manifest, artifacts } }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(NanoError);
    expect((error as NanoError).code).toBe('ManifestInvalid');
    expect((error as NanoError).message).toContain(`the build's bytes for "sum" do not match its manifest`);
    expect(platform.calls.filter((call) => call.startsWith('commit'))).toEqual([]);
  });

  it('refuses a plan that asks for an artifact this deploy does not have', async () => {
    const built = await project();
    const platform = fakePlatform(new Set(), ['0'.repeat(64)]);
    const error = await deployBuild(platform.client, { build: built }).catch((caught: unknown) => caught);
    expect((error as NanoError).code).toBe('RemoteError');
    expect(platform.calls).toEqual(['plan']);
  });
  it('uploads a few artifacts at a time, every one, and reports them in the order the plan named them', async () => {
    const built = await project();
    const template = built.manifest.functions[0]!;
    const count = UPLOAD_CONCURRENCY * 3 + 1;
    const artifacts = new Map<string, Uint8Array>();
    const functions = Array.from({ length: count }, (_, i) => {
      const bytes = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 0, 2, 1, i]); // a custom section makes each distinct
      artifacts.set(`f${i}`, bytes);
      return { ...template, name: `f${i}`, artifact: `f${i}.wasm`, sha256: sha256(bytes), size: bytes.length };
    });
    const manifest: BuildManifest = { ...built.manifest, functions };
    let inFlight = 0;
    let most = 0;
    const stored = new Set<string>();
    const app = new Hono()
      .post('/deployments', (c) => c.json({ id: 'd1', missing: functions.map((fn) => fn.sha256) }))
      .put('/artifacts/:sha', async (c) => {
        inFlight++;
        most = Math.max(most, inFlight);
        await new Promise((resolve) => setTimeout(resolve, 5));
        stored.add(c.req.param('sha'));
        inFlight--;
        return c.json({ sha256: c.req.param('sha'), size: 12, created: true }, 201);
      })
      .post('/deployments/:id/commit', (c) => c.json({ id: 'd1', functions: [] }));
    const client = new ControlClient({ url: 'http://fake.test', token: 't', fetch: (request) => Promise.resolve(app.fetch(request)) });
    const result = await deployBuild(client, { build: { manifest, artifacts } });
    expect(most).toBe(UPLOAD_CONCURRENCY);
    expect(stored.size).toBe(count);
    expect(result.uploaded.map((u) => u.name)).toEqual(functions.map((fn) => fn.name));
    expect(result.uploadedBytes).toBe(count * 12);
  });
});
