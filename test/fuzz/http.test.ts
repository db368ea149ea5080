/**
 * Fuzz kind 3, HTTP requests against a real `nano dev` and a real `nano server`
 * (child processes on port 0, killed by PID at the end), over raw sockets.
 * Properties, after every request: the answer's status is below 500 or a
 * documented 5xx, an error body is `{"error":{"code":…}}`, a whole request is
 * answered, the process is still running with no stack trace or "internal
 * error" on stderr, and `/exec/answer` still answers 42; on the server, a
 * refused request leaves the data folder byte-identical.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BuildResult } from '../../src/build/index.js';
import { build } from '../helpers/build.js';
import { deploy, startServer, TOKEN, type RunningServer } from '../helpers/platform.js';
import { REPO_ROOT, removeTempProjects, snapshotTree, tempProject, yml } from '../helpers/project.js';
import { ANSWER_WAT, SUM_WAT } from '../helpers/wat.js';
import { startDev, STUCK_WAT, type DevProcess } from '../dev/dev-process.js';
import { fuzz, FUZZ_TIMEOUT_MS, violation } from './harness.js';
import { checkProcess, goodRequestAnswers, judge } from './http-check.js';
import { httpCase, KNOWN_HTTP_CASES, render, type HttpCase } from './http-gen.js';
import { exchange } from './raw-http.js';

const FUZZ_YML = yml(
  'service: fuzz',
  'defaults: { memory: 1, timeout: 2s, cacheTtl: 1m }',
  'functions:',
  '  answer: { source: functions/answer.wat }',
  '  sum: { source: functions/sum.wat, http: { method: GET, path: /sum } }',
  '  div: { source: functions/div.wat }',
  '  stuck: { source: functions/stuck.wat, timeout: 100ms }',
  '  echo: { source: functions/echo.wat, abi: wagi, memory: 2, http: { method: ANY, path: /echo/* } }',
);
const DIV_WAT = '(module (func (export "_start") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1))))\n';

async function fuzzProject(): Promise<string> {
  return tempProject({
    'nano.yml': FUZZ_YML,
    'functions/answer.wat': ANSWER_WAT,
    'functions/sum.wat': SUM_WAT,
    'functions/div.wat': DIV_WAT,
    'functions/stuck.wat': STUCK_WAT,
    'functions/echo.wat': await readFile(join(REPO_ROOT, 'templates', 'wagi', 'functions', 'echo.wat'), 'utf8'),
  });
}

const portOf = (url: string) => Number(new URL(url).port);
const labelOf = (c: HttpCase) =>
  c.raw ? `raw ${JSON.stringify(Buffer.from(c.raw).toString('latin1').slice(0, 80))}` : `${c.method} ${c.target.slice(0, 120)}`;
const sameTree = (a: Map<string, Buffer>, b: Map<string, Buffer>) =>
  a.size === b.size && [...a].every(([path, bytes]) => b.get(path)?.equals(bytes) === true);

describe('fuzz: HTTP against nano dev', () => {
  let dev: DevProcess;
  const cursor = { offset: 0 };

  beforeAll(async () => {
    dev = await startDev(await fuzzProject(), ['--no-watch']);
  });
  afterAll(async () => {
    await dev?.dev.stop('SIGTERM');
    await removeTempProjects();
  });

  it(
    'answers every request within its documented statuses and keeps serving',
    async () => {
      const port = portOf(dev.url);
      const counts = await fuzz(
        { kind: 'http', property: 'nano dev', bounded: 50, share: 0.12, examples: KNOWN_HTTP_CASES },
        httpCase,
        async (c) => {
          const request = render(c, TOKEN);
          const label = labelOf(c);
          const result = await exchange(port, request.bytes, { head: request.head, incomplete: !request.complete, deadlineMs: 5000 });
          const verdict = judge(result, request, label);
          checkProcess(dev.dev, cursor, label);
          await goodRequestAnswers(dev.url, label);
          return verdict;
        },
      );
      expect(counts.crash + counts.stackTrace + counts.unanswered + counts.other).toBe(0);
    },
    FUZZ_TIMEOUT_MS,
  );
});

describe('fuzz: HTTP against nano server', () => {
  let server: RunningServer;
  let built: BuildResult;
  const cursor = { offset: 0 };

  beforeAll(async () => {
    server = await startServer();
    built = await build(await fuzzProject());
    await deploy(server.url, built);
  });
  afterAll(async () => {
    await server?.process.stop('SIGTERM');
    await removeTempProjects();
  });

  it(
    'answers every request within its documented statuses, and a refused one changes nothing',
    async () => {
      const port = portOf(server.url);
      const counts = await fuzz(
        { kind: 'http', property: 'nano server', bounded: 60, share: 0.13, examples: KNOWN_HTTP_CASES },
        // Control-plane paths more often here: this is the server that has one.
        fc.oneof(
          httpCase,
          httpCase.map((c) => (c.raw ? c : { ...c, auth: c.auth === 'none' ? ('good' as const) : c.auth })),
        ),
        async (c) => {
          const request = render(c, TOKEN);
          const label = labelOf(c);
          const before = await snapshotTree(server.dataDir);
          const result = await exchange(port, request.bytes, { head: request.head, incomplete: !request.complete, deadlineMs: 5000 });
          const verdict = judge(result, request, label);
          if (verdict === 'refused') {
            const after = await snapshotTree(server.dataDir);
            if (!sameTree(before, after)) {
              violation(
                'registryChange',
                `${label}: refused (${result.response?.status ?? 'no answer'}), yet the data folder changed: ${[...after.keys()].join(', ')}`,
              );
            }
          } else if (c.method === 'DELETE' || /\/rollback\b/.test(c.target)) {
            // An accepted removal or rollback is no refusal: put the project back for the next input.
            await deploy(server.url, built);
          }
          checkProcess(server.process, cursor, label);
          await goodRequestAnswers(server.url, label);
          return verdict;
        },
      );
      expect(counts.crash + counts.stackTrace + counts.unanswered + counts.registryChange + counts.other).toBe(0);
    },
    FUZZ_TIMEOUT_MS,
  );
});
