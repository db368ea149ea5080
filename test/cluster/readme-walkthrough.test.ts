/**
 * The README's "From one node to three" walk-through, run as written: the commands are read from the
 * README's block (so the two cannot drift apart) and run in order, with only what a test must change
 * substituted — free ports for 6379/8001-8003/8080, temp folders for the data, cache and Redis folders,
 * the test's token. nginx runs the shipped template through the cluster harness, which fills in the
 * same two placeholders the README's envsubst line names. Real redis-server, nodes and nginx, stopped by
 * PID; without redis-server or nginx the suite fails, naming them, unless NANO_SKIP_CLUSTER=1.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { killStrayProcesses, startCli, type CliProcess } from '../helpers/cli-process.js';
import { startServer, TOKEN } from '../helpers/platform.js';
import { freePort } from '../helpers/ports.js';
import { examplesCopy, removeTempProjects, REPO_ROOT, tempProject } from '../helpers/project.js';
import { missingNginx, startNginx, stopAllNginx, upstreamLines } from './nginx.js';
import { missingRedis } from './redis.js';

const missing = missingRedis() ?? missingNginx();
const skipped = missing !== undefined && process.env.NANO_SKIP_CLUSTER === '1';

/** The shell lines of the README's walk-through block, comments and blank lines left out. */
function walkthrough(): string[] {
  const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
  const marker = readme.indexOf('<!-- walkthrough: test/cluster/readme-walkthrough.test.ts');
  if (marker < 0) throw new Error('the README has lost its walk-through block');
  const block = /```sh\n([\s\S]*?)```/.exec(readme.slice(marker))![1]!;
  return block.split('\n').filter((line) => line.trim() !== '' && !line.startsWith('#'));
}

/** Splits a README line into words, as the shell would for these lines (single quotes only). */
function words(line: string): string[] {
  return [...line.matchAll(/'([^']*)'|(\S+)/g)].map((match) => match[1] ?? match[2]!);
}

const children: { stop(): Promise<unknown> }[] = [];

afterAll(async () => {
  for (const child of children.splice(0).reverse()) await child.stop();
  await stopAllNginx();
  await killStrayProcesses();
  await removeTempProjects();
});

describe.skipIf(skipped)(`the README's walk-through from one node to three${skipped ? ` (skipped: ${missing})` : ''}`, () => {
  it('runs as written: copy a one-node registry into Redis, three nodes, nginx, deploy, roll back, look', async () => {
    if (missing !== undefined) throw new Error(`${missing}; set NANO_SKIP_CLUSTER=1 to skip the cluster suite`);
    const lines = walkthrough();
    const take = (start: string) => {
      const at = lines.findIndex((line) => line.startsWith(start));
      expect(at, `the walk-through has a "${start}…" line`).toBeGreaterThanOrEqual(0);
      return lines.splice(at, 1)[0]!;
    };
    const project = await examplesCopy();
    const work = await tempProject();

    // Before: a one-node platform with the examples deployed, then stopped.
    const dataDir = join(work, '.nano-data');
    const one = await startServer({ dataDir });
    expect((await run(['deploy', '--url', one.url], project)).code).toBe(0);
    await one.process.stop();

    // 1. Redis, with the README's flags.
    const redisPort = await freePort();
    const redisLine = words(take('redis-server'));
    const redisArgs = redisLine.slice(1).map((word) => (word === '6379' ? String(redisPort) : word === './redis-data' ? work : word));
    children.push(await startRedisAs(redisArgs, redisPort));
    const redisUrl = `redis://127.0.0.1:${redisPort}`;
    const local = (word: string) => word.replace('redis://127.0.0.1:6379', redisUrl).replace('file:./.nano-data', `file:${dataDir}`);

    // 2. The copy.
    const copy = words(take('nano registry copy')).slice(1).map(local);
    const copied = await run(copy, work);
    expect(copied.code, copied.stderr).toBe(0);
    expect(copied.stdout).toContain('✓ copied 5 functions');

    // 3. Three nodes, with the environment the README exports.
    const exported = words(take('export '))
      .slice(1)
      .join(' ')
      .replace('<a long secret>', TOKEN)
      .split(' ')
      .map((pair) => pair.split('=') as [string, string]);
    const env = Object.fromEntries(exported.map(([key, value]) => [key, local(value)]));
    expect(Object.keys(env).sort()).toEqual(['NANO_REGISTRY', 'NANO_TOKEN']);
    const nodes: string[] = [];
    for (let n = 1; n <= 3; n++) {
      const args = words(take(`nano server --port 800${n}`))
        .slice(1)
        .map((word) => (word === `800${n}` ? '0' : word === `./.nano-cache-${n}` ? join(work, `cache-${n}`) : word));
      const node = startCli([...args, '--drain-delay', '0'], { cwd: work, env });
      children.push(node);
      nodes.push((await node.waitFor(/listening on (http:\/\/127\.0\.0\.1:\d+)/))[1]!);
    }

    // 4. nginx: the shipped template with the two placeholders the README's line fills in.
    const nginxLine = take('NANO_LISTEN=');
    for (const part of ['NANO_UPSTREAMS=', "envsubst '$NANO_LISTEN $NANO_UPSTREAMS'", '< deploy/nginx/nano.conf.template']) {
      expect(nginxLine).toContain(part);
    }
    const nginx = await startNginx(upstreamLines(nodes));
    const balancer = (word: string) => word.replace('http://127.0.0.1:8080', nginx.url);

    // 5. A change to deploy, then every remaining line, through the balancer.
    await writeFile(join(project, 'functions', 'answer.wat'), '(module (func (export "_start") (result i32) i32.const 43))\n');
    const rest = lines.filter((line) => line.startsWith('nano '));
    expect(rest.map((line) => words(line).slice(0, 2).join(' '))).toEqual(['nano deploy', 'nano rollback', 'nano info', 'nano logs']);
    const outputs: string[] = [];
    for (const line of rest) {
      if (line.startsWith('nano logs')) {
        // One call on each node first: the log through the balancer is every node's.
        for (const node of nodes) expect(await (await fetch(`${node}/exec/answer`)).text()).toBe('42');
        const calls = async () => {
          const result = await run(words(line).slice(1).map(balancer), project, env);
          expect(result.code, `${line}\n${result.stderr}`).toBe(0);
          return result.stdout.split('\n').filter((entry) => / 200 /.test(entry)).length;
        };
        // Entries reach the store in batches (every 100 ms): polled, not timed.
        await expect.poll(calls, { timeout: 10_000 }).toBe(3);
        continue;
      }
      const result = await run(words(line).slice(1).map(balancer), project, env);
      expect(result.code, `${line}\n${result.stderr}`).toBe(0);
      outputs.push(result.stdout);
    }
    const [deployed, rolledBack, info] = outputs;
    expect(deployed).toMatch(/live on 3\/3 nodes in \d+ ms/);
    expect(rolledBack).toMatch(/✓ answer now runs v1 \(was v2\)\nlive on 3\/3 nodes in \d+ ms/);
    expect(info).toMatch(/3 nodes on .*\n(.*\n)?.*n1 .*\n.*n2 .*\n.*n3 /);
  });
});

async function run(
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const cli: CliProcess = startCli(args, { cwd, env: { NANO_TOKEN: TOKEN, NANO_REGISTRY: '', ...env } });
  const code = await cli.exited;
  return { code, stdout: cli.stdout(), stderr: cli.stderr() };
}

/** redis-server with exactly these arguments, until it answers PING; stopped by its PID. */
async function startRedisAs(args: string[], port: number): Promise<{ stop(): Promise<unknown> }> {
  const child = spawn('redis-server', args, { stdio: 'ignore' });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const ping = () =>
    new Promise<string>((resolve) => {
      const cli = spawn('redis-cli', ['-p', String(port), 'PING'], { stdio: ['ignore', 'pipe', 'ignore'] });
      let out = '';
      cli.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
      cli.once('exit', () => resolve(out.trim()));
    });
  await expect.poll(ping, { timeout: 10_000 }).toBe('PONG');
  return {
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}
