/**
 * Fuzz kind 2 against a real `nano server`: mutated and extreme modules
 * deployed over the protocol (plan, upload, commit), as `nano deploy` does.
 * Properties: every refusal is a 4xx with a JSON error code; the data folder is
 * byte-identical (every file, recursively) before and after a refused commit
 * (the upload before it may store the artifact: artifacts are content-addressed
 * and kept whether or not a deploy refers to them); an accepted function is
 * served within the documented statuses; the process lives on, with no stack
 * trace or internal error on stderr, and a good function still answers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileWat, sha256 } from '../../src/build/index.js';
import type { DeployFunction, DeployPlan, DeployRequest } from '../../src/server/index.js';
import { commit, plan, startServer, upload, type RunningServer } from '../helpers/platform.js';
import { removeTempProjects, snapshotTree } from '../helpers/project.js';
import { ANSWER_WAT } from '../helpers/wat.js';
import { describeError, fuzz, FUZZ_TIMEOUT_MS, violation, type Verdict } from './harness.js';
import { checkProcess, goodRequestAnswers, judge } from './http-check.js';
import { exchange } from './raw-http.js';
import { BASE_MODULES, moduleCase, type BaseModule, type ModuleCase } from './wasm-gen.js';

let server: RunningServer;
let bases: (BaseModule & { bytes: Uint8Array })[];
const cursor = { offset: 0 };

async function compiled(file: string, wat: string): Promise<Uint8Array> {
  const result = await compileWat(file, wat);
  if (!('bytes' in result)) throw new Error(`${file} does not compile: ${JSON.stringify(result.problems)}`);
  return result.bytes;
}

function request(fn: Omit<DeployFunction, 'sha256' | 'size'>, bytes: Uint8Array): DeployRequest {
  return { service: 'fuzz', stage: 'dev', prune: false, functions: [{ ...fn, sha256: sha256(bytes), size: bytes.length }] };
}

/** Plan, upload, commit; returns the commit's response, or the first refused step's. */
async function deployBytes(
  fn: Omit<DeployFunction, 'sha256' | 'size'>,
  bytes: Uint8Array,
  beforeCommit?: () => Promise<void>,
): Promise<{ step: string; response: Response }> {
  const body = request(fn, bytes);
  const planned = await plan(server.url, body);
  if (planned.status !== 200) return { step: 'plan', response: planned };
  const { id, missing } = (await planned.json()) as DeployPlan;
  if (missing.length > 0) {
    const stored = await upload(server.url, body.functions[0]!.sha256, bytes);
    if (!stored.ok) return { step: 'upload', response: stored };
    await stored.arrayBuffer();
  }
  await beforeCommit?.();
  return { step: 'commit', response: await commit(server.url, id) };
}

beforeAll(async () => {
  server = await startServer();
  bases = await Promise.all(BASE_MODULES.map(async (base) => ({ ...base, bytes: await compiled(`${base.label}.wat`, base.wat) })));
  const good = await deployBytes(
    { name: 'answer', entry: '_start', limits: { memoryPages: 1, timeoutMs: 1000, cacheTtlMs: 60_000, concurrency: null }, routes: [] },
    await compiled('answer.wat', ANSWER_WAT),
  );
  if (good.response.status !== 200) throw new Error(`deploying the good function: ${good.response.status} ${await good.response.text()}`);
});
afterAll(async () => {
  await server?.process.stop('SIGTERM');
  await removeTempProjects();
});

const sameTree = (a: Map<string, Buffer>, b: Map<string, Buffer>) =>
  a.size === b.size && [...a].every(([path, bytes]) => b.get(path)?.equals(bytes) === true);

async function refusalBody(response: Response, label: string): Promise<void> {
  const text = await response.text();
  if (response.status >= 500 || response.status < 400) violation('crash', `${label}: ${response.status} ${text.slice(0, 500)}`);
  let code: unknown;
  try {
    code = (JSON.parse(text) as { error?: { code?: unknown } }).error?.code;
  } catch {
    code = undefined;
  }
  if (typeof code !== 'string') violation('other', `${label}: ${response.status} without a JSON error code: ${text.slice(0, 300)}`);
}

async function deployCase(c: ModuleCase): Promise<Verdict> {
  const bytes = c.bytes ?? (await compiled('host-call.wat', c.wat!));
  const fn = {
    name: 'fz',
    entry: c.entry,
    limits: { memoryPages: c.memoryPages, timeoutMs: 100, cacheTtlMs: 60_000, concurrency: null },
    routes: [],
    ...(c.abi === 'wagi' ? { abi: 'wagi' as const } : {}),
  };
  let before = await snapshotTree(server.dataDir);
  let outcome: { step: string; response: Response };
  try {
    outcome = await deployBytes(fn, bytes, async () => {
      // What the upload stored is no part of the commit: compare from here.
      before = await snapshotTree(server.dataDir);
    });
  } catch (error) {
    return violation('crash', `${c.label}: the deploy failed at the socket: ${describeError(error)}`);
  }
  let verdict: Verdict;
  if (outcome.response.status === 200) {
    await outcome.response.arrayBuffer();
    verdict = 'accepted';
    const query = c.fitArgs
      ? `?${c.args.map(String).join(',')}`
      : c.args.length
        ? `?${encodeURIComponent(c.args.map(String).join(','))}`
        : '';
    const method = c.abi === 'wagi' ? 'POST' : 'GET';
    const raw = Buffer.from(`${method} /exec/fz${query} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 2\r\n\r\nhi`);
    const result = await exchange(Number(new URL(server.url).port), raw, { deadlineMs: 5000 });
    judge(result, { bytes: raw, complete: true, head: false }, `${c.label}: invoking it`);
  } else {
    verdict = 'refused';
    await refusalBody(outcome.response, `${c.label}: ${outcome.step}`);
    if (!sameTree(before, await snapshotTree(server.dataDir)))
      violation('registryChange', `${c.label}: the ${outcome.step} was refused, yet the data folder changed`);
  }
  checkProcess(server.process, cursor, c.label);
  await goodRequestAnswers(server.url, c.label);
  return verdict;
}

describe('fuzz: module bytes deployed to nano server', () => {
  it(
    'refuses with a 4xx and changes nothing, or serves the function',
    async () => {
      const counts = await fuzz(
        { kind: 'module', property: 'deploy to nano server', bounded: 40, share: 0.08 },
        moduleCase(bases),
        deployCase,
      );
      expect(counts.crash + counts.stackTrace + counts.registryChange + counts.unanswered + counts.other).toBe(0);
    },
    FUZZ_TIMEOUT_MS,
  );
});
