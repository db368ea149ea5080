/**
 * The README's sample `nano dev` session, made real: nano dev on a copy of the examples, the edits its
 * comments describe (answer changed, broken, fixed; stuck's timeout raised; mul added, then removed),
 * and every line the README shows printed by nano dev, in order — times and the port normalized.
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { cp } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { killStrayProcesses, startCli } from '../helpers/cli-process.js';
import { removeTempProjects, REPO_ROOT, tempProject } from '../helpers/project.js';
import { saveAtomically, until } from '../dev/dev-process.js';

afterAll(async () => {
  await killStrayProcesses();
  await removeTempProjects();
});

/** The session block: the lines after `$ npx nano dev`, each without its `# comment`. */
function sessionLines(): string[] {
  const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
  const block = /```\n\$ npx nano dev -c examples\/nano\.yml\n([\s\S]*?)```/.exec(readme);
  if (!block) throw new Error('the README has lost its nano dev session');
  return block[1]!
    .split('\n')
    .map((line) => line.replace(/\s+# .*$/, '').trimEnd())
    .filter((line) => line !== '' && line.trim() !== '...');
}

/** A README line as a pattern: times and ports are whatever this run takes, runs of spaces any width. */
function pattern(line: string): RegExp {
  const escaped = line
    .trim()
    .replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
    .replace(/ in \d+ ms/g, ' in \\d+ ms')
    .replace(/127\\\.0\\\.0\\\.1:8000/g, '127\\.0\\.0\\.1:\\d+')
    .replace(/ {2,}/g, '\\s+');
  return new RegExp(escaped);
}

const answer = (body: string) => `(module\n  (func (export "_start") (result i32)\n    ${body}\n    return))\n`;

describe("the README's nano dev session", () => {
  it('is what nano dev prints for the edits it describes', async () => {
    const lines = sessionLines();
    const work = await tempProject();
    await cp(join(REPO_ROOT, 'examples'), join(work, 'examples'), { recursive: true, filter: (path) => !path.includes('.nano') });
    const yml = join(work, 'examples', 'nano.yml');
    const original = await readFile(yml, 'utf8');
    const dev = startCli(['dev', '-c', 'examples/nano.yml', '--port', '0'], { cwd: work });
    await dev.waitFor(/listening on/);

    // The README's lines in order, each found in what nano dev printed after the one before.
    let seen = 0;
    const printed = () => `${dev.stdout()}\n${dev.stderr()}`;
    const expectNext = async (count: number) => {
      for (const line of lines.slice(seen, seen + count)) {
        await until(
          async () => printed(),
          (text) => pattern(line).test(text),
          `nano dev to print: ${line}`,
        );
      }
      seen += count;
    };
    const edits: [count: number, edit: () => Promise<void>][] = [
      [4, () => Promise.resolve()], // the start: summary, one function, watching, listening
      [1, () => saveAtomically(join(work, 'examples/functions/answer.wat'), answer('i32.const 43'))],
      [3, () => saveAtomically(join(work, 'examples/functions/answer.wat'), answer('i32.cnst 43'))],
      [1, () => saveAtomically(join(work, 'examples/functions/answer.wat'), answer('i32.const 44'))],
      [1, () => saveAtomically(yml, original.replace('timeout: 100ms', 'timeout: 300ms'))],
      [
        1,
        async () => {
          await saveAtomically(join(work, 'examples/functions/mul.wat'), answer('i32.const 6'));
          await saveAtomically(yml, original.replace('timeout: 100ms', 'timeout: 300ms') + '  mul:\n    source: functions/mul.wat\n');
        },
      ],
      [1, () => saveAtomically(yml, original.replace('timeout: 100ms', 'timeout: 300ms'))],
    ];
    expect(edits.reduce((sum, [count]) => sum + count, 0)).toBe(lines.length);
    for (const [count, edit] of edits) {
      await edit();
      await expectNext(count);
    }
    expect(await dev.stop()).toBe(0);
  });
});
