/**
 * Fuzz kind 1, nano.yml text: resolved in-process as every command resolves it
 * (fast, so most inputs go here), and a smaller number through the real CLI's
 * `main()`, as `nano build` runs it. Properties: the config either resolves or is
 * refused with a ConfigInvalid ProblemsError whose every problem is located
 * (file and a line inside the text); nothing else is ever thrown; the CLI exits
 * 0 or 1 and never prints "nano crashed" or a stack trace.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { resolveConfig } from '../../src/config/index.js';
import { ProblemsError } from '../../src/errors.js';
import { captureIo } from '../helpers/io.js';
import { removeTempProjects, tempProject } from '../helpers/project.js';
import { ANSWER_WAT, SUM_WAT } from '../helpers/wat.js';
import { describeError, fuzz, FUZZ_TIMEOUT_MS, STACK_LINE, violation, type Verdict } from './harness.js';
import { FUZZ_ENV, nanoYmlText } from './yaml-gen.js';

let dir: string;

beforeAll(async () => {
  dir = await tempProject({ 'functions/answer.wat': ANSWER_WAT, 'functions/sum.wat': SUM_WAT, 'functions/answer.wasm': 'not wasm' });
});
afterAll(removeTempProjects);

const lineCount = (text: string) => text.split(/\r\n|\r|\n/).length;

async function resolveText(text: string): Promise<Verdict> {
  await writeFile(join(dir, 'nano.yml'), text);
  try {
    await resolveConfig('nano.yml', { cwd: dir, env: FUZZ_ENV });
    return 'accepted';
  } catch (error) {
    if (!(error instanceof ProblemsError)) return violation('crash', `resolveConfig threw ${describeError(error)}`);
    if (error.code !== 'ConfigInvalid') violation('other', `a ProblemsError coded ${error.code}, not ConfigInvalid`);
    if (STACK_LINE.test(error.message)) violation('stackTrace', error.message);
    if (error.problems.length === 0) violation('other', 'refused with no problem listed');
    const lines = lineCount(text);
    for (const problem of error.problems) {
      const located = problem.file === 'nano.yml' && Number.isInteger(problem.line) && problem.line! >= 1 && problem.line! <= lines + 1;
      if (!located) violation('other', `a problem not located in the file (${lines} lines): ${JSON.stringify(problem)}`);
    }
    return 'refused';
  }
}

async function buildWithCli(text: string, json: boolean): Promise<Verdict> {
  // The fuzzer's strings must never reach a shell: no `build:` command survives.
  await writeFile(join(dir, 'nano.yml'), text.replaceAll('build', 'bu1ld'));
  const io = captureIo({ cwd: dir, env: FUZZ_ENV });
  let code: number;
  try {
    code = await main(['build', '-c', 'nano.yml', ...(json ? ['--json'] : [])], io);
  } catch (error) {
    return violation('crash', `main() threw ${describeError(error)}`);
  }
  const output = `${io.out()}\n${io.err()}`;
  if (output.includes('nano crashed')) violation('crash', output.slice(0, 3000));
  if (STACK_LINE.test(output)) violation('stackTrace', output.slice(0, 3000));
  if (code !== 0 && code !== 1) violation('other', `exit code ${code}\n${output.slice(0, 2000)}`);
  if (json && code === 1 && !/"code":\s*"[A-Za-z]+"/.test(io.out()))
    violation('other', `--json printed no coded error: ${io.out().slice(0, 500)}`);
  return code === 0 ? 'accepted' : 'refused';
}

/** Counterexamples found before (YAML aliases: recursive, unresolved, a bomb), run first every time. */
const ALIAS_EXAMPLES = [
  'a: &a\n  b: *a\n',
  'service: *nope\nfunctions: { answer: { source: functions/answer.wat } }\n',
  [
    'l0: &l0 [x, x, x, x, x, x, x, x, x, x]',
    ...Array.from({ length: 7 }, (_, i) => `l${i + 1}: &l${i + 1} [${Array.from({ length: 10 }, () => `*l${i}`).join(', ')}]`),
    'service: demo',
    'functions: { answer: { source: functions/answer.wat } }',
    '',
  ].join('\n'),
];

describe('fuzz: nano.yml text', () => {
  it(
    'resolves or is refused with located problems, never anything else',
    async () => {
      const counts = await fuzz(
        { kind: 'nano.yml', property: 'resolveConfig', bounded: 120, share: 0.3, examples: ALIAS_EXAMPLES },
        nanoYmlText,
        resolveText,
      );
      expect(counts.crash + counts.stackTrace + counts.other).toBe(0);
    },
    FUZZ_TIMEOUT_MS,
  );

  it(
    'through nano build: exit 0 or 1, no crash, no stack trace',
    async () => {
      const counts = await fuzz(
        { kind: 'nano.yml', property: 'nano build', bounded: 15, share: 0.04, examples: [[ALIAS_EXAMPLES[0]!, false]] },
        fc.tuple(nanoYmlText, fc.boolean()),
        ([text, json]) => buildWithCli(text, json),
      );
      expect(counts.crash + counts.stackTrace + counts.other).toBe(0);
    },
    FUZZ_TIMEOUT_MS,
  );
});
