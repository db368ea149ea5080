/**
 * The platform as a user drives it: a real `nano server` process on port 0 and
 * the real CLI (`nano deploy`, `invoke`, `logs`, `info`, `rollback`, `remove`)
 * as separate processes, with the URL from nano.yml's provider.url and the
 * token from NANO_TOKEN.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { BuildManifest } from '../../src/build/index.js';
import { formatBytes } from '../../src/cli/format.js';
import type { FunctionList, LogEntry, RollbackDone } from '../../src/server/control-api.js';
import { killStrayProcesses, startCli } from '../helpers/cli-process.js';
import { startServer, TOKEN } from '../helpers/platform.js';
import { removeTempProjects, writeFiles, examplesCopy } from '../helpers/project.js';
import { answerWat } from '../helpers/wat.js';

afterEach(async () => {
  await killStrayProcesses();
  await removeTempProjects();
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** One `nano ...` process in the project folder; examples/nano.yml reads its URL from NANO_URL. `token: null` sends none. */
async function nano(dir: string, url: string, args: string[], token: string | null = TOKEN): Promise<Run> {
  const child = startCli(args, { cwd: dir, env: { NANO_URL: url, NANO_TOKEN: token ?? '' } });
  const code = await child.exited;
  return { code, stdout: child.stdout(), stderr: child.stderr() };
}

/** The same, expecting success and JSON on stdout. */
async function nanoJson<T>(dir: string, url: string, args: string[]): Promise<T> {
  const run = await nano(dir, url, [...args, '--json']);
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  return JSON.parse(run.stdout) as T;
}

interface DeployJson {
  functions: { name: string; change: string; version: number; url: string }[];
  uploaded: { name: string; size: number }[];
  uploadedBytes: number;
  durationMs: number;
}

const changes = (deployed: DeployJson) => deployed.functions.map((fn) => `${fn.name} ${fn.change} v${fn.version}`);

describe('nano deploy and the commands around it, against a real nano server', () => {
  it('deploys, redeploys nothing, ships one change, invokes, logs, rolls back, survives a restart, and removes', async () => {
    const server = await startServer();
    const dir = await examplesCopy();
    const { url } = server;

    // First deploy: every function created, with its URL and the bytes sent.
    const first = await nano(dir, url, ['deploy']);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toContain(`✓ deployed demo (dev) to ${url}`);
    for (const name of ['answer', 'sum', 'sleep', 'stuck', 'items']) {
      expect(first.stdout).toMatch(new RegExp(`\\+ +${name} +created v1 +${url}/exec/${name}\\n`));
    }
    expect(first.stdout).toContain(`GET ${url}/sum`);
    const manifest = JSON.parse(await readFile(join(dir, '.nano', 'build', 'manifest.json'), 'utf8')) as BuildManifest;
    const total = manifest.functions.reduce((sum, fn) => sum + fn.size, 0);
    expect(first.stdout).toContain(`uploaded ${formatBytes(total)} (5 artifacts)`);

    // Unchanged: nothing uploaded, every function unchanged.
    const same = await nano(dir, url, ['deploy']);
    expect(same.code).toBe(0);
    expect(same.stdout).toContain('uploaded 0 B: every artifact was already on the platform');
    expect(same.stdout).toMatch(/· +answer +unchanged v1/);
    const sameJson = await nanoJson<DeployJson>(dir, url, ['deploy']);
    expect(sameJson.uploadedBytes).toBe(0);
    expect(changes(sameJson)).toEqual([
      'answer unchanged v1',
      'sum unchanged v1',
      'sleep unchanged v1',
      'stuck unchanged v1',
      'items unchanged v1',
    ]);

    // One function changed: only it is uploaded, and only its version moves.
    await writeFiles(dir, { 'functions/answer.wat': answerWat(43) });
    const changed = await nanoJson<DeployJson>(dir, url, ['deploy']);
    expect(changes(changed)).toEqual([
      'answer updated v2',
      'sum unchanged v1',
      'sleep unchanged v1',
      'stuck unchanged v1',
      'items unchanged v1',
    ]);
    const rebuilt = JSON.parse(await readFile(join(dir, '.nano', 'build', 'manifest.json'), 'utf8')) as BuildManifest;
    const answerSize = rebuilt.functions.find((fn) => fn.name === 'answer')!.size;
    expect(changed.uploaded).toEqual([expect.objectContaining({ name: 'answer', size: answerSize })]);
    expect(changed.uploadedBytes).toBe(answerSize);
    console.log(`unchanged redeploy: ${sameJson.durationMs} ms; one-function change: ${changed.durationMs} ms (each including the build)`);

    // Remote invocation through the data plane.
    expect(await nano(dir, url, ['invoke', 'answer'])).toMatchObject({ code: 0, stdout: '43\n' });
    expect(await nano(dir, url, ['invoke', 'sum', '5', '2'])).toMatchObject({ code: 0, stdout: '7\n' });
    expect(await nano(dir, url, ['invoke', 'sum', '-d', '[20,22]'])).toMatchObject({ code: 0, stdout: '42\n' });
    const stuck = await nano(dir, url, ['invoke', 'stuck']);
    expect(stuck.code).toBe(1);
    expect(stuck.stderr).toContain('✗ stuck exceeded its 100ms timeout');
    const wrong = await nano(dir, url, ['invoke', 'sum', '5']);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain('sum(i32, i32) -> i32');

    // Logs: one line per invocation, with its status, duration and outcome.
    const sumLogs = await nano(dir, url, ['logs', 'sum']);
    expect(sumLogs.code).toBe(0);
    expect(sumLogs.stdout).toMatch(/^\d{4}-\d\d-\d\dT\S+ +\S+ +200 +[\d.]+m?s +ok v1$/m);
    const stuckLogs = await nanoJson<{ entries: LogEntry[] }>(dir, url, ['logs', 'stuck', '--since', '5m']);
    expect(stuckLogs.entries.map((entry) => [entry.status, entry.outcome])).toEqual([[504, 'timeout']]);

    // The wagi example, deployed like the others: its route, its JSON, its stderr line in the logs.
    const item = await fetch(`${url}/api/items/7`);
    expect(item.status).toBe(200);
    expect(await item.json()).toEqual({ id: '7' });
    const created = await fetch(`${url}/exec/items`, { method: 'POST', body: 'hi' });
    expect(created.status).toBe(201);
    expect(await created.json()).toEqual({ received: 2 });
    const itemLogs = await nanoJson<{ entries: LogEntry[] }>(dir, url, ['logs', 'items']);
    expect(itemLogs.entries.map((entry) => [entry.status, entry.lines])).toEqual([
      [200, ['GET /7']],
      [201, ['POST ']],
    ]);

    // Rollback: to the previous version by default, to any with --to.
    expect((await nano(dir, url, ['rollback', 'answer'])).stdout).toBe('✓ answer now runs v1 (was v2)\n');
    expect((await nano(dir, url, ['invoke', 'answer'])).stdout).toBe('42\n');
    const forward = await nanoJson<RollbackDone>(dir, url, ['rollback', 'answer', '--to', 'v2']);
    // One node: the revision it made, live on the only node there is when the command answers.
    expect(forward).toEqual({
      name: 'answer',
      from: 1,
      version: 2,
      revision: forward.revision,
      convergence: { revision: forward.revision, nodes: 1, converged: 1, ms: 0, lagging: [] },
    });
    expect(forward.revision).toBeGreaterThan(1);
    const info = await nano(dir, url, ['info', 'answer']);
    expect(info.code).toBe(0);
    expect(info.stdout).toMatch(/^answer v2 \(demo, dev\) — Returns 42$/m);
    expect(info.stdout).toMatch(/^ {2}\* +v2 /m);
    expect(info.stdout).toMatch(/^ +v1 +\d{4}-/m);

    // A restart keeps every function at its version, and serves them at once.
    await server.process.stop('SIGINT');
    const restarted = await startServer({ dataDir: server.dataDir });
    const after = await nanoJson<{ functions: FunctionList['functions'] }>(dir, restarted.url, ['info']);
    expect(after.functions.map((fn) => `${fn.name} v${fn.version}`).sort()).toEqual([
      'answer v2',
      'items v1',
      'sleep v1',
      'stuck v1',
      'sum v1',
    ]);
    expect((await nano(dir, restarted.url, ['invoke', 'answer'])).stdout).toBe('43\n');
    const unchangedAfterRestart = await nanoJson<DeployJson>(dir, restarted.url, ['deploy']);
    expect(unchangedAfterRestart.uploadedBytes).toBe(0);

    // Remove one function, then the rest of the service.
    const one = await nano(dir, restarted.url, ['remove', '-f', 'sum', '--yes']);
    expect(one.code).toBe(0);
    expect(one.stdout).toContain('- sum removed');
    const gone = await nano(dir, restarted.url, ['invoke', 'sum', '1', '2']);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toContain('no function named "sum"');
    const refused = await nano(dir, restarted.url, ['remove']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('pass --yes');
    const rest = await nano(dir, restarted.url, ['remove', '--yes']);
    expect(rest.code).toBe(0);
    expect(rest.stdout).toContain('not deployed: sum');
    expect(rest.stdout).toContain('✓ removed 4 functions');
    const empty = await nanoJson<{ functions: unknown[]; notDeployed: string[] }>(dir, restarted.url, ['info']);
    expect(empty.functions).toEqual([]);
    expect(empty.notDeployed).toEqual(['answer', 'sum', 'sleep', 'stuck', 'items']);
  }, 180_000); // about thirty CLI processes in a row: generous on a slow shared machine

  it('refuses a deploy without the token or with a wrong one, changing nothing', async () => {
    const server = await startServer();
    const dir = await examplesCopy();
    const missing = await nano(dir, server.url, ['deploy'], null);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('hint: set NANO_TOKEN to the token `nano server` was started with');
    const wrong = await nano(dir, server.url, ['deploy'], 'not-the-token');
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain('hint: the server refused the token from NANO_TOKEN');
    const info = await nanoJson<{ functions: unknown[] }>(dir, server.url, ['info']);
    expect(info.functions).toEqual([]);
    // The data plane stays open: no token needed to invoke (there is nothing to invoke yet).
    const invoke = await nano(dir, server.url, ['invoke', 'answer'], null);
    expect(invoke.stderr).toContain('no function named "answer"');
  });

  it('logs --tail prints the recent invocations, then each new one, until Ctrl-C (exit 0)', async () => {
    const server = await startServer();
    const dir = await examplesCopy();
    expect((await nano(dir, server.url, ['deploy'])).code).toBe(0);
    expect(await (await fetch(`${server.url}/exec/sum?1,1`)).text()).toBe('2');

    const tail = startCli(['logs', 'sum', '--tail'], { cwd: dir, env: { NANO_URL: server.url, NANO_TOKEN: TOKEN } });
    await tail.waitFor(/streaming the log of sum from/);
    await tail.waitFor(/ 200 +\S+ +ok v1\n/);
    expect(await (await fetch(`${server.url}/exec/sum?3,4`)).text()).toBe('7');
    await tail.waitFor(/( 200 +\S+ +ok v1\n[\s\S]*){2}/);
    expect(await tail.stop('SIGINT')).toBe(0);
    expect(tail.stdout()).toMatch(/stopped after 2 entries\n$/);
  });
});
