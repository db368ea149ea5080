/**
 * nano.yml files built to crash or stall a YAML reader: aliases that are
 * undefined, cyclic or exponential, nesting past the stack, absurd sizes,
 * bytes that are not UTF-8, tags and merge keys. Each must come back as a
 * located ConfigInvalid problem (never an exception of another kind), in time
 * linear in the file; the CLI must print it and exit 1 without a stack trace.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { resolveConfig } from '../../src/config/index.js';
import { MAX_ALIASES, MAX_CONFIG_BYTES, MAX_DEPTH, MAX_PROBLEMS_SHOWN } from '../../src/config/limits.js';
import { ProblemsError } from '../../src/errors.js';
import { captureIo } from '../helpers/io.js';
import { removeTempProjects, tempProject, yml } from '../helpers/project.js';
import { SUM_WAT } from '../helpers/wat.js';

afterEach(removeTempProjects);

/** A valid project's first lines: what follows them is line 5. */
const HEAD = ['service: demo', 'functions:', '  sum:', '    source: functions/sum.wat'];

const project = (yaml: string | Uint8Array) => tempProject({ 'nano.yml': yaml, 'functions/sum.wat': SUM_WAT });

async function refusal(yaml: string | Uint8Array): Promise<ProblemsError> {
  const dir = await project(yaml);
  const error = await resolveConfig('nano.yml', { cwd: dir, env: {} }).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(ProblemsError);
  expect((error as ProblemsError).code).toBe('ConfigInvalid');
  return error as ProblemsError;
}

/** The problem lines the user reads, without the header and the indent. */
async function problemLines(yaml: string | Uint8Array): Promise<string[]> {
  const [, ...lines] = (await refusal(yaml)).message.split('\n');
  return lines.map((line) => line.replace(/^ {2}/, ''));
}

const aliasChain = (length: number) => [
  'c0: &c0 [1]',
  ...Array.from({ length: length - 1 }, (_, index) => `c${index + 1}: &c${index + 1} [*c${index}]`),
];

/** Nine aliases per line, each line repeating the one before: 9^7 values from 7 short lines. */
const BILLION_LAUGHS = [
  'a: &a [x, x, x, x, x, x, x, x, x]',
  ...['b', 'c', 'd', 'e', 'f', 'g'].map((name, index) => {
    const previous = 'abcdef'[index]!;
    return `${name}: &${name} [${Array.from({ length: 9 }, () => `*${previous}`).join(', ')}]`;
  }),
];

describe('aliases', () => {
  it('refuses an alias with no anchor before it, at the alias', async () => {
    expect(await problemLines(yml(...HEAD, '    description: *nope'))).toEqual([
      'nano.yml:5:18: invalid YAML: unknown alias "*nope": no anchor "&nope" is defined before it',
    ]);
  });

  it('refuses an alias inside the list or mapping it repeats (it would recurse forever)', async () => {
    expect(await problemLines(yml(...HEAD, 'x: &a [*a]'))).toEqual([
      'nano.yml:5:8: invalid YAML: alias "*a" is inside the value it repeats (anchor "&a"); a value cannot contain itself',
    ]);
    expect(await problemLines(yml(...HEAD, 'x: &m { y: { z: *m } }'))).toEqual([
      'nano.yml:5:17: invalid YAML: alias "*m" is inside the value it repeats (anchor "&m"); a value cannot contain itself',
    ]);
  });

  it(`refuses a billion laughs where the count of aliases passes ${MAX_ALIASES}`, async () => {
    // b resolves 9 aliases, c 9 × (1 + 9) = 90 (99 so far): the first alias of d passes 100.
    expect(await problemLines(yml(...HEAD, ...BILLION_LAUGHS))).toEqual([
      'nano.yml:8:8: invalid YAML: too many aliases: more than 100 resolved, counting those inside repeated anchors; write the values out',
    ]);
  });

  it('refuses a long chain of aliases once for the count and once for the depth, not once per alias', async () => {
    // c_i repeats i aliases: 1 + … + 14 = 105 passes 100 on line 5 + 14; c63 nests 64 lists inside the top mapping.
    expect(await problemLines(yml(...HEAD, ...aliasChain(300)))).toEqual([
      'nano.yml:19:12: invalid YAML: too many aliases: more than 100 resolved, counting those inside repeated anchors; write the values out',
      `nano.yml:68:12: invalid YAML: alias "*c62" nests its value more than ${MAX_DEPTH} levels deep; nano.yml allows at most ${MAX_DEPTH}`,
    ]);
  });

  it(`accepts ${MAX_ALIASES} aliases and refuses one more, at it`, async () => {
    const watching = (count: number) =>
      yml(...HEAD, '    description: &glob "src/**"', `    watch: [${Array.from({ length: count }, () => '*glob').join(', ')}]`);
    const dir = await project(watching(MAX_ALIASES));
    const config = await resolveConfig('nano.yml', { cwd: dir, env: {} });
    expect(config.functions[0]!.watch).toHaveLength(MAX_ALIASES);

    const column = '    watch: ['.length + MAX_ALIASES * '*glob, '.length + 1;
    expect(await problemLines(watching(MAX_ALIASES + 1))).toEqual([
      `nano.yml:6:${column}: invalid YAML: too many aliases: more than 100 resolved, counting those inside repeated anchors; write the values out`,
    ]);
  });
});

describe('nesting, size and encoding', () => {
  it(`refuses lists nested past ${MAX_DEPTH} levels at the first level too many, however deep they go`, async () => {
    for (const depth of [MAX_DEPTH + 1, 100_000]) {
      // The top mapping is level 1: the (MAX_DEPTH)th "[" is one level too many.
      expect(await problemLines(yml(...HEAD, `x: ${'['.repeat(depth)}${']'.repeat(depth)}`))).toEqual([
        `nano.yml:5:${3 + MAX_DEPTH}: invalid YAML: nested more than ${MAX_DEPTH} levels deep; nano.yml allows at most ${MAX_DEPTH}`,
      ]);
    }
  });

  it('refuses block nesting as deep, and an alias that nests a deep value deeper', async () => {
    // Under the top mapping, the k-th "-" (column 2k - 1) opens level k + 1.
    expect(await problemLines(yml(...HEAD, 'x:', `${'- '.repeat(10_000)}1`))).toEqual([
      `nano.yml:6:${2 * MAX_DEPTH - 1}: invalid YAML: nested more than ${MAX_DEPTH} levels deep; nano.yml allows at most ${MAX_DEPTH}`,
    ]);
    const deep = (levels: number) => `${'['.repeat(levels)}${']'.repeat(levels)}`;
    expect(await problemLines(yml(...HEAD, `a: &deep ${deep(40)}`, `b: ${deep(30).replace('[]', '[*deep]')}`))).toEqual([
      `nano.yml:6:34: invalid YAML: alias "*deep" nests its value more than ${MAX_DEPTH} levels deep; nano.yml allows at most ${MAX_DEPTH}`,
    ]);
  });

  it(`refuses a file over ${MAX_CONFIG_BYTES} bytes unread, naming its size and the limit`, async () => {
    const yaml = yml(...HEAD, `    description: "${'x'.repeat(2 * MAX_CONFIG_BYTES)}"`);
    expect(await problemLines(yaml)).toEqual([
      `nano.yml: the file is ${Buffer.byteLength(yaml)} bytes; a nano.yml may be at most ${MAX_CONFIG_BYTES} bytes (1 MiB)`,
    ]);
  });

  it('refuses bytes that are not UTF-8 at the first of them, and reads past a byte order mark', async () => {
    const latin1 = Buffer.from(yml(...HEAD, '    description: caf\u00e9'), 'latin1');
    expect(await problemLines(latin1)).toEqual(['nano.yml:5:21: the file is not UTF-8 text; save it as UTF-8']);
    // A genuine U+FFFD (EF BF BD) before the bad byte is not mistaken for it.
    const after = Buffer.concat([Buffer.from(`${HEAD.join('\n')}\n    description: \ufffd `), Buffer.from([0xe9, 0x0a])]);
    expect(await problemLines(after)).toEqual(['nano.yml:5:20: the file is not UTF-8 text; save it as UTF-8']);

    const dir = await project(`\ufeff${yml(...HEAD)}`);
    expect((await resolveConfig('nano.yml', { cwd: dir, env: {} })).service).toBe('demo');
  });
});

describe('tags, keys and documents', () => {
  it('refuses custom and YAML 1.1 tags rather than reading them as strings', async () => {
    expect(await problemLines(yml(...HEAD, '    description: !foo bar', '    entry: !!js/function "function () {}"'))).toEqual([
      'nano.yml:5:18: invalid YAML: Unresolved tag: !foo; nano.yml takes strings, numbers, true/false, null, lists and mappings',
      'nano.yml:6:12: invalid YAML: Unresolved tag: tag:yaml.org,2002:js/function; nano.yml takes strings, numbers, true/false, null, lists and mappings',
    ]);
    expect(await problemLines(yml(...HEAD, '    description: !!binary aGVsbG8='))).toEqual([
      'nano.yml:5:18: invalid YAML: Unresolved tag: tag:yaml.org,2002:binary; nano.yml takes strings, numbers, true/false, null, lists and mappings',
    ]);
  });

  it('refuses a merge key, a list as a key and a second document', async () => {
    const merge = yml('limits: &limits { timeout: 1s }', ...HEAD, '    <<: *limits');
    expect(await problemLines(merge)).toEqual([
      'nano.yml:6:5: invalid YAML: merge keys (<<) are not supported; write the keys out, or put shared limits under defaults:',
    ]);
    expect(await problemLines(yml(...HEAD, '? [a, b]', ': 1'))).toEqual([
      'nano.yml:5:3: invalid YAML: a key must be a string, not a list, a mapping or an alias',
    ]);
    expect(await problemLines(yml(...HEAD, '---', 'service: other'))).toEqual([
      'nano.yml:5:1: invalid YAML: a second document (after "---"); nano.yml holds one document',
    ]);
  });

  it('names every duplicate key of a large mapping', async () => {
    const keys = Array.from({ length: 20_000 }, (_, index) => `k${index % 10_000}: 1`);
    const error = await refusal(yml(...HEAD, ...keys));
    expect(error.message.split('\n')[0]).toBe(
      `nano.yml is invalid (10000 problems; the first ${MAX_PROBLEMS_SHOWN} follow, ${10_000 - MAX_PROBLEMS_SHOWN} more are not shown):`,
    );
    expect(error.problems[0]).toMatchObject({
      line: 5 + 10_000,
      column: 1,
      message: 'invalid YAML: duplicate key "k0"; a key may appear only once in a mapping',
    });
  });
});

describe('many problems', () => {
  it(`lists the first ${MAX_PROBLEMS_SHOWN} of 50,000 unknown keys in file order and counts the rest`, async () => {
    // Reporting was quadratic (52 s for this file): the test's timeout is the guard, the cap is what it checks.
    const keys = Array.from({ length: 50_000 }, (_, index) => `k${index}: 1`);
    const error = await refusal(yml(...HEAD, ...keys));
    const [header, ...lines] = error.message.split('\n');
    expect(header).toBe(`nano.yml is invalid (50000 problems; the first ${MAX_PROBLEMS_SHOWN} follow, 49900 more are not shown):`);
    expect(lines).toHaveLength(MAX_PROBLEMS_SHOWN);
    expect(error.problems).toHaveLength(MAX_PROBLEMS_SHOWN);
    expect(lines[0]).toBe('  nano.yml:5:1 k0: unknown key "k0"; expected one of: service, provider, defaults, functions');
    expect(lines.at(-1)).toBe('  nano.yml:104:1 k99: unknown key "k99"; expected one of: service, provider, defaults, functions');
  });
});

describe('the CLI', () => {
  const cases: Record<string, string[]> = {
    'an undefined alias': ['    description: *nope'],
    'a cyclic alias': ['x: &a [*a]'],
    'a billion laughs': BILLION_LAUGHS,
    'a chain of 300 aliases': aliasChain(300),
    'lists nested 100,000 deep': [`x: ${'['.repeat(100_000)}${']'.repeat(100_000)}`],
  };
  for (const [name, lines] of Object.entries(cases)) {
    it(`prints ${name} as a located problem and exits 1, without a stack trace`, async () => {
      const dir = await project(yml(...HEAD, ...lines));
      const io = captureIo({ cwd: dir });
      expect(await main(['build'], io)).toBe(1);
      expect(io.err()).toMatch(/^✗ nano\.yml is invalid \(\d+ problems?\):\n {2}nano\.yml:\d+:\d+: invalid YAML: /);
      expect(io.err()).toContain('hint: fix the file and run the command again');
      expect(io.err()).not.toContain('nano crashed');
      expect(io.err()).not.toMatch(/^\s+at /m);
    });
  }
});
