/**
 * WAT nested deeper than wabt can take: refused with a located problem before
 * wabt sees it, and never able to poison the wabt instance that later builds in
 * the same process (a `nano dev` session) share.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { compileWat } from '../../src/build/compile-wat.js';
import { MAX_WAT_NESTING, watNesting } from '../../src/build/wat-nesting.js';
import { ProblemsError } from '../../src/errors.js';
import { build, buildError } from '../helpers/build.js';
import { removeTempProjects, tempProject, yml } from '../helpers/project.js';
import { ANSWER_WAT } from '../helpers/wat.js';

afterEach(removeTempProjects);

const HEAD = '(module (func (export "_start") (result i32) ';
/** `levels` copies of `open`, the innermost `inner`, then the closers; inside HEAD (2 levels). */
const nested = (open: string, close: string, levels: number, inner: string) =>
  `${HEAD}${open.repeat(levels)}${inner}${close.repeat(levels)}))`;

const project = (wat: string) =>
  tempProject({ 'nano.yml': yml('service: demo', 'functions:', '  x: { source: functions/x.wat }'), 'functions/x.wat': wat });

async function buildMessage(wat: string): Promise<string> {
  const error = await buildError(await project(wat));
  expect(error).toBeInstanceOf(ProblemsError);
  return (error as ProblemsError).message;
}

describe('deeply nested WAT', () => {
  it('is refused with a located problem, and the next valid WAT in the process still builds', async () => {
    // 50 000 nested blocks: wabt's stack overflows into its memory ("memory access out of bounds").
    const blocks = `(module\n  (func (export "_start")\n    ${'(block '.repeat(50_000)}${')'.repeat(50_000)}))\n`;
    expect(await buildMessage(blocks)).toBe(
      [
        'build failed with 1 error; .nano/build was left as it was:',
        `  functions/x.wat:3:${5 + 7 * (MAX_WAT_NESTING - 2)}: error: nested too deeply: 50002 levels of parentheses and blocks at the deepest, ` +
          `and nano compiles at most ${MAX_WAT_NESTING} (its WAT compiler crashes at about 150); move the inner part into a function ` +
          'of its own, or write long chains of folded expressions as flat instructions',
      ].join('\n'),
    );
    // 300 folded expressions, the case from the issue.
    expect(await buildMessage(nested('(i32.add (i32.const 1) ', ')', 300, '(i32.const 0)'))).toMatch(
      /functions\/x\.wat:1:\d+: error: nested too deeply: 303 levels/,
    );
    // The poisoning check: the same process compiles valid WAT as before.
    const result = await build(await project(ANSWER_WAT));
    expect(result.reports.map((report) => report.status)).toEqual(['built']);
  });

  it('builds at a realistic depth of 100 folded expressions over several lines', async () => {
    const lines = Array.from({ length: 100 }, (_, i) => `${'  '.repeat(i + 2)}(i32.add (i32.const ${i})`);
    const wat = `(module\n  (func (export "_start") (result i32)\n${lines.join('\n')}\n (i32.const 0)${')'.repeat(100)}))\n`;
    expect(watNesting(wat).depth).toBe(103);
    const result = await build(await project(wat));
    expect(result.reports.map((report) => report.status)).toEqual(['built']);
  });

  it('builds the costliest construct known at exactly the limit (guards the limit against a wabt upgrade)', async () => {
    // Folded blocks with a result cost wabt the most stack per level: it crashes at 150 levels in all.
    const atLimit = nested('(block (result i32) ', ')', MAX_WAT_NESTING - 3, '(i32.const 7)');
    expect(watNesting(atLimit).depth).toBe(MAX_WAT_NESTING);
    expect('bytes' in (await compileWat('x.wat', atLimit))).toBe(true);
    const flat = nested('block (result i32) ', 'end ', MAX_WAT_NESTING - 3, 'i32.const 7 ');
    expect(watNesting(flat).depth).toBe(MAX_WAT_NESTING);
    expect('bytes' in (await compileWat('x.wat', flat))).toBe(true);
  });
});

describe('a crash of wabt itself', () => {
  // The nesting check lifted, so that wabt sees what it cannot take.
  const unchecked = { maxNesting: Number.POSITIVE_INFINITY };

  it('is reported as too deep nesting at the deepest point, and the next compile gets a fresh wabt', async () => {
    const crash = await compileWat('x.wat', nested('(block (result i32) ', ')', 300, '(i32.const 0)'), unchecked);
    expect(crash).toEqual({
      problems: [
        {
          file: 'x.wat',
          line: 1,
          // The `(result` of the innermost block: the first to reach the deepest level.
          column: HEAD.length + 20 * 299 + 8,
          message:
            'error: the WAT compiler (wabt) crashed on this file (memory access out of bounds); the likeliest cause is ' +
            'nesting too deep for it: this file nests 303 levels at the deepest, here',
        },
      ],
    });
    expect('bytes' in (await compileWat('x.wat', ANSWER_WAT))).toBe(true);
  });

  it('never keeps an instance whose overflow came back as a bogus located error', async () => {
    // 244 folded expressions overflow wabt's stack without a trap: a nonsense "unexpected char", memory damaged.
    const bogus = await compileWat('x.wat', nested('(i32.eqz ', ')', 244, '(i32.const 0)'), unchecked);
    expect('problems' in bogus).toBe(true);
    expect('bytes' in (await compileWat('x.wat', ANSWER_WAT))).toBe(true);
  });
});

describe('watNesting', () => {
  it('counts parentheses and flat blocks, not comments, strings or folded keywords', () => {
    const text = [
      '(module ;; ((((( a comment',
      '  (; (((( a block comment (; nested ;) (((( ;)',
      '  (data "((((\\"((((")',
      '  (func (export "_start")',
      '    block',
      '      loop',
      '        (if (i32.const 1) (then nop))',
      '      end',
      '    end))',
    ].join('\n');
    // module, func, block, loop, if, then.
    expect(watNesting(text)).toEqual({ depth: 6 });
    expect(watNesting(text, 3)).toEqual({ depth: 6, beyond: { line: 6, column: 7 } });
  });

  it('drops a flat block left open when its parenthesis closes', () => {
    expect(watNesting('(module (func block) (func (nop)))').depth).toBe(3);
  });
});
