/**
 * The README's commands, run as written: the quick start's curl lines against nano dev on the examples,
 * and the tour of `nano server` (from "In another" on): its commands run as written, in order, in
 * a copy of the repository's examples against a real server, and what the README shows is what they
 * print — the deploy's output block line for line (the port and the time normalized), and each command's
 * comment where it quotes output: its leading literal (`7`, `✓ answer now runs v1`), every "quoted"
 * fragment, the parts between "…", and "(exit 1)" for a command that fails.
 */
import { spawnSync } from 'node:child_process';
import { cp, mkdir } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { killStrayProcesses, startCli } from '../helpers/cli-process.js';
import { startServer, TOKEN } from '../helpers/platform.js';
import { removeTempProjects, REPO_ROOT, tempProject } from '../helpers/project.js';

afterAll(async () => {
  await killStrayProcesses();
  await removeTempProjects();
});

/** The fenced blocks after the tour's first line, up to the next heading. */
function tourBlocks(): string[][] {
  const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf('`test/readme/readme-commands.test.ts` runs these blocks');
  if (start < 0) throw new Error('the README has lost its tour');
  const section = readme.slice(start, readme.indexOf('\n#', start));
  return [...section.matchAll(/```(?:sh)?\n([\s\S]*?)```/g)].map((match) => match[1]!.split('\n').filter((line) => line !== ''));
}

/** What a comment promises about a command's output. */
function promises(comment: string): { fragments: string[]; fails: boolean } {
  const fails = comment.includes('(exit 1)');
  const quoted = [...comment.matchAll(/"([^"]+)"/g)].map((match) => match[1]!);
  const literal = /^[\d✓✗-]/.test(comment)
    ? comment
        .split(' … ')
        .map((part) => part.split(/, | \(|: |; /)[0]!.trim())
        .filter((part) => part !== '' && !part.includes('…'))
    : [];
  const uploaded = /uploaded [\d.]+ [KMG]?i?B( \(\d+ artifacts?\))?/.exec(comment)?.[0];
  return { fragments: [...literal, ...quoted, ...(uploaded ? [uploaded] : [])], fails };
}

/**
 * The curl lines answered by `nano dev -c examples/nano.yml`: the quick start's block and every block that
 * starts that server (the WAGI section's). A line for another project (`/tmp/...`) ends the block.
 */
function examplesCurlLines(readme: string): string[] {
  const quickStart = readme.slice(readme.indexOf('Then, from another terminal:'));
  const blocks = [/```sh\n([\s\S]*?)```/.exec(quickStart)![1]!];
  for (const match of readme.matchAll(/```sh\n(npx nano dev -c examples\/nano\.yml\n[\s\S]*?)```/g)) blocks.push(match[1]!);
  return blocks.flatMap((block) => {
    const lines = block.split('\n');
    const other = lines.findIndex((line) => line.includes('/tmp/'));
    return lines.slice(0, other < 0 ? undefined : other).filter((line) => line.startsWith('curl '));
  });
}

/** A curl line's request: -d/--data (a POST), -X, -i (the status shown first), the URL last. */
function curlRequest(command: string, base: string) {
  const words = [...command.matchAll(/'([^']*)'|(\S+)/g)].map((match) => match[1] ?? match[2]!).slice(1);
  let method: string | undefined;
  let body: string | undefined;
  let status = false;
  let url = '';
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    if (word === '-d' || word === '--data') body = words[++i];
    else if (word === '-X') method = words[++i];
    else if (word === '-i') status = true;
    else url = word;
  }
  return {
    url: `http://${url.replace('localhost:8000', base)}`,
    init: { method: method ?? (body === undefined ? 'GET' : 'POST'), body },
    status,
  };
}

/** The output a comment names: its leading numbers, JSON and error codes, up to the first word of prose. */
function leadingOutput(comment: string): string[] {
  const tokens: string[] = [];
  for (const token of comment.split(/\s+/)) {
    if (!/^(\d+|[{["].*|[A-Z][a-z]+[A-Z]\w*)$/.test(token)) break;
    tokens.push(token);
  }
  return tokens;
}

describe("the README's curl lines on the examples", () => {
  it('are answered by nano dev as their comments say', async () => {
    const lines = examplesCurlLines(readFileSync(join(REPO_ROOT, 'README.md'), 'utf8'));
    expect(lines.length).toBeGreaterThanOrEqual(8);
    const work = await tempProject();
    await cp(join(REPO_ROOT, 'examples'), join(work, 'examples'), { recursive: true, filter: (path) => !path.includes('.nano') });
    const dev = startCli(['dev', '-c', 'examples/nano.yml', '--port', '0'], { cwd: work });
    const [, url] = await dev.waitFor(/listening on (http:\/\/127\.0\.0\.1:\d+)/);
    for (const line of lines) {
      const [command, comment = ''] = line.split(/\s+# /);
      const request = curlRequest(command!, url!.slice('http://'.length));
      const response = await fetch(request.url, request.init);
      const shown = `${request.status ? `${response.status} ` : ''}${await response.text()}`;
      const expected = leadingOutput(comment);
      // A comment in prose only ("execution time: …") names its first word.
      for (const token of expected.length > 0 ? expected : [comment.split(' ')[0]!]) expect(shown, line).toContain(token);
    }
    await dev.stop();
  });
});

describe("the README's tour of nano server", () => {
  it('prints what the README shows', async () => {
    const [commands, deployOutput, rest] = tourBlocks();
    const work = await tempProject();
    await mkdir(join(work, 'examples'));
    await cp(join(REPO_ROOT, 'examples'), join(work, 'examples'), { recursive: true, filter: (path) => !path.includes('.nano') });
    const server = await startServer();
    const port = new URL(server.url).port;
    // As in examples/nano.yml's default, provider.url names localhost.
    const env = { NANO_TOKEN: TOKEN, NANO_URL: `http://localhost:${port}`, NANO_REGISTRY: '' };

    const run = async (line: string) => {
      const [command, comment = ''] = line.split(/\s+# /);
      const words = command!.trim().split(/\s+/);
      if (words[0] === 'export') return { code: 0, output: '', comment: '' };
      if (words[0] === 'npx' && words[1] === 'nano') {
        const cli = startCli(words.slice(2), { cwd: work, env });
        const code = await cli.exited;
        return { code, output: cli.stdout() + cli.stderr(), comment };
      }
      if (words[0] === 'curl') {
        const url = /'([^']+)'|(\S+)$/.exec(command!.trim())!.slice(1).find(Boolean)!.replace('localhost:8000', `127.0.0.1:${port}`);
        const response = await fetch(`http://${url}`);
        return { code: response.ok ? 0 : 1, output: await response.text(), comment };
      }
      const shell = spawnSync('sh', ['-c', command!], { cwd: work, encoding: 'utf8' });
      return { code: shell.status, output: shell.stdout + shell.stderr, comment };
    };

    // The first block's deploy, compared line for line with the output block that follows it.
    const deployLine = commands!.find((line) => line.startsWith('npx nano deploy'))!;
    const deployed = await run(deployLine);
    expect(deployed.code, deployed.output).toBe(0);
    const normalize = (text: string) =>
      text
        .replaceAll(`:${port}`, ':8000')
        .replace(/ in \d+ ms/, ' in N ms')
        .trimEnd();
    expect(normalize(deployed.output).split('\n')).toEqual(normalize(deployOutput!.join('\n')).split('\n'));

    for (const line of rest!) {
      const result = await run(line);
      const { fragments, fails } = promises(result.comment);
      expect(result.code, `${line}\n${result.output}`).toBe(fails ? 1 : 0);
      for (const fragment of fragments) expect(result.output, line).toContain(fragment);
    }
  });
});

describe("the README's fuzz commands", () => {
  it('run as written, with fewer inputs (the long runs are for a person, not for the suite)', () => {
    const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
    const lines = [...new Set([...readme.matchAll(/^npm run fuzz -- (.*?)(?:\s+#.*)?$/gm)].map((match) => match[1]!.trim()))];
    expect(lines.length).toBeGreaterThanOrEqual(4);
    for (const line of lines) {
      // `npm run fuzz` is `npm run build && tsx test/fuzz/run.ts`: dist/ is built already.
      const args = line.split(/\s+/).map((word, i, words) => (words[i - 1] === '--runs' ? '30' : word));
      const run = spawnSync(process.execPath, [join(REPO_ROOT, 'node_modules/tsx/dist/cli.mjs'), 'test/fuzz/run.ts', ...args], {
        cwd: REPO_ROOT,
        encoding: 'utf8',
        timeout: 120_000,
      });
      expect(run.status, `npm run fuzz -- ${line}\n${run.stdout}\n${run.stderr}`).toBe(0);
      expect(run.stdout, line).toMatch(/^total\s+\d+/m);
    }
  }, 300_000);
});
