import type { Stats } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/config/index.js';
import { watchPlan } from '../../src/dev/watch-plan.js';
import { removeTempProjects, tempProject, writeFiles, yml } from '../helpers/project.js';
import { ANSWER_WAT, SUM_WAT } from '../helpers/wat.js';

afterEach(removeTempProjects);

const file = { isFile: () => true } as Stats;
const folder = { isFile: () => false } as Stats;

async function planFor(nanoYml: string) {
  const dir = await tempProject({
    'nano.yml': nanoYml,
    'functions/answer.wat': ANSWER_WAT,
    'functions/sum.wat': SUM_WAT,
    'include/deep/defs.txt': 'x',
  });
  const config = await resolveConfig('nano.yml', { cwd: dir, env: {} });
  return { dir, plan: watchPlan(config) };
}

describe('watchPlan', () => {
  it('watches nano.yml and every source by name, and nothing else in their folders', async () => {
    const { dir, plan } = await planFor(
      yml('service: demo', 'functions:', '  answer: { source: functions/answer.wat }', '  sum: { source: functions/sum.wat }'),
    );
    expect(plan.roots).toEqual([dir, join(dir, 'functions')]);
    expect(plan.files).toEqual([join(dir, 'nano.yml'), join(dir, 'functions/answer.wat'), join(dir, 'functions/sum.wat')].sort());

    expect(plan.classify(join(dir, 'nano.yml'))).toEqual({ config: true, functions: [] });
    expect(plan.classify(join(dir, 'functions/sum.wat'))).toEqual({ config: false, functions: ['sum'] });
    expect(plan.classify(join(dir, 'functions/notes.txt'))).toBeUndefined();
    expect(plan.classify(join(dir, 'README.md'))).toBeUndefined();

    expect(plan.isIgnored(join(dir, 'functions'), folder)).toBe(false);
    expect(plan.isIgnored(join(dir, 'functions/sum.wat'), file)).toBe(false);
    expect(plan.isIgnored(join(dir, 'functions/notes.txt'), file)).toBe(true);
    expect(plan.isIgnored(join(dir, 'node_modules'), folder)).toBe(true);
    expect(plan.isIgnored(join(dir, 'include'), folder)).toBe(true);
  });

  it('never watches the build output in .nano/, whatever a glob says', async () => {
    const { dir, plan } = await planFor(
      yml('service: demo', 'functions:', '  answer:', '    source: functions/answer.wat', '    watch: ["**/*"]'),
    );
    for (const path of ['.nano', '.nano/build', '.nano/build/answer.wasm', '.nano/build.tmp-1-abc/manifest.json']) {
      expect(plan.isIgnored(join(dir, path), path.endsWith('.json') || path.endsWith('.wasm') ? file : folder)).toBe(true);
      expect(plan.classify(join(dir, path))).toBeUndefined();
    }
    expect(plan.classify(join(dir, 'include/deep/defs.txt'))).toEqual({ config: false, functions: ['answer'] });
  });

  it('walks below a glob’s base but not into node_modules/ or .git/, and matches files against the glob', async () => {
    const { dir, plan } = await planFor(
      yml(
        'service: demo',
        'functions:',
        '  answer:',
        '    source: functions/answer.wat',
        '    watch: [include/**/*.txt, extra/one.wat]',
        '  sum: { source: functions/sum.wat, watch: "include/*.txt" }',
      ),
    );
    expect(plan.globs).toEqual([`${dir}/include/**/*.txt`, `${dir}/include/*.txt`]);
    expect(plan.roots).toContain(join(dir, 'include'));
    expect(plan.roots).toContain(join(dir, 'extra'));
    expect(plan.files).toContain(join(dir, 'extra/one.wat'));

    expect(plan.classify(join(dir, 'include/deep/defs.txt'))).toEqual({ config: false, functions: ['answer'] });
    expect(plan.classify(join(dir, 'include/top.txt'))).toEqual({ config: false, functions: ['answer', 'sum'] });
    expect(plan.classify(join(dir, 'include/deep/defs.md'))).toBeUndefined();
    expect(plan.classify(join(dir, 'extra/one.wat'))).toEqual({ config: false, functions: ['answer'] });
    expect(plan.classify(join(dir, 'include/node_modules/x.txt'))).toBeUndefined();

    expect(plan.isIgnored(join(dir, 'include/deep'), folder)).toBe(false);
    expect(plan.isIgnored(join(dir, 'include/deep/defs.md'), file)).toBe(true);
    expect(plan.isIgnored(join(dir, 'include/node_modules'), folder)).toBe(true);
    expect(plan.isIgnored(join(dir, 'include/.git'), folder)).toBe(true);
  });

  it('keeps its key when only limits change, and changes it when the files watched do', async () => {
    const base = yml('service: demo', 'functions:', '  answer: { source: functions/answer.wat }');
    const { dir, plan } = await planFor(base);
    const keyWith = async (text: string) => {
      await writeFiles(dir, { 'nano.yml': text });
      return watchPlan(await resolveConfig('nano.yml', { cwd: dir, env: {} })).key;
    };
    expect(await keyWith(base.replace('}', ', timeout: 2s }'))).toBe(plan.key);
    expect(await keyWith(`${base}  sum: { source: functions/sum.wat }\n`)).not.toBe(plan.key);
    expect(await keyWith(base.replace('}', ', watch: "include/**" }'))).not.toBe(plan.key);
  });

  it('refuses a negated or empty watch: glob in nano.yml, saying what is expected', async () => {
    const dir = await tempProject({ 'functions/answer.wat': ANSWER_WAT });
    for (const glob of ['"!include/*.txt"', '[""]']) {
      await writeFiles(dir, {
        'nano.yml': yml('service: demo', 'functions:', '  answer:', '    source: functions/answer.wat', `    watch: ${glob}`),
      });
      await expect(resolveConfig('nano.yml', { cwd: dir, env: {} })).rejects.toMatchObject({
        code: 'ConfigInvalid',
        problems: [expect.objectContaining({ line: 5, path: expect.stringMatching(/^functions\.answer\.watch/) })],
      });
    }
  });

  it('does not watch a source written by a build: command (its output), only the command’s watch: inputs', async () => {
    const { dir, plan } = await planFor(
      yml('service: demo', 'functions:', '  gen:', '    source: out/gen.wasm', '    build: node gen.mjs', '    watch: src/**/*.ts'),
    );
    expect(plan.files).toEqual([join(dir, 'nano.yml')]);
    expect(plan.classify(join(dir, 'out/gen.wasm'))).toBeUndefined();
    expect(plan.classify(join(dir, 'src/lib/index.ts'))).toEqual({ config: false, functions: ['gen'] });
  });

  it('never counts the command’s output as its input, even when a watch: glob or path names it', async () => {
    const { dir, plan } = await planFor(
      yml(
        'service: demo',
        'functions:',
        '  gen:',
        '    source: src/out.wat',
        '    build: node gen.mjs',
        '    watch: [src/**, src/out.wat]',
      ),
    );
    expect(plan.files).toEqual([join(dir, 'nano.yml')]);
    expect(plan.classify(join(dir, 'src/out.wat'))).toBeUndefined();
    expect(plan.isIgnored(join(dir, 'src/out.wat'), file)).toBe(true);
    expect(plan.classify(join(dir, 'src/main.ts'))).toEqual({ config: false, functions: ['gen'] });
  });

  it('lets another function watch a command’s output (one built from the other’s)', async () => {
    const { dir, plan } = await planFor(
      yml(
        'service: demo',
        'functions:',
        '  a:',
        '    source: out/a.wasm',
        '    build: node a.mjs',
        '    watch: [out/**]',
        '  b:',
        '    source: out/b.wasm',
        '    build: node b.mjs',
        '    watch: [out/a.wasm]',
      ),
    );
    expect(plan.classify(join(dir, 'out/a.wasm'))).toEqual({ config: false, functions: ['b'] });
    expect(plan.isIgnored(join(dir, 'out/a.wasm'), file)).toBe(false);
    // a's glob covers b's output too: a is rebuilt from it, and b is not rebuilt by its own output.
    expect(plan.classify(join(dir, 'out/b.wasm'))).toEqual({ config: false, functions: ['a'] });
  });
});
