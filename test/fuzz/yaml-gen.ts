/**
 * nano.yml text that mixes valid structure with hostile values. Strategy: a
 * document is built as a tree of keys and values (the keys nano knows, at the
 * levels it knows them, plus unknown ones), each value either one that fits its
 * key or a hostile one (wrong type, extreme number, unicode, `${…}`, tags,
 * anchors and aliases, deep nesting, very long strings, binary junk); the tree
 * is rendered as block YAML, with flow collections here and there, and the text
 * may then be mangled (bytes inserted, lines duplicated or cut, tabs, BOM).
 */
import fc from 'fast-check';
import { weighted } from './harness.js';

/** A rendered YAML value: inline (after `key: `) or a block of lines (below the key). */
type Rendered = { inline: string } | { block: string[] };

const indent = (lines: string[]) => lines.map((line) => `  ${line}`);

const NUMBERS = [
  '0',
  '1',
  '-1',
  '2',
  '16',
  '65536',
  '65537',
  '4294967295',
  '9007199254740993',
  '1e309',
  '-1e309',
  '1.5',
  '0.1',
  '-0',
  '0x10',
  '0o17',
  '.inf',
  '-.inf',
  '.nan',
  '1_000',
  '+5',
  '007',
];
const DURATIONS = [
  '5s',
  '250ms',
  '1m',
  '120m',
  '1.5s',
  '0s',
  '-1s',
  '0ms',
  '1h',
  '10',
  '100000000000',
  '5 s',
  's',
  'ms',
  '1e3ms',
  'fast',
  '5S',
];
const WORDS = [
  'demo',
  'sum',
  'answer',
  'functions/answer.wat',
  'functions/sum.wat',
  'functions/missing.wat',
  '../../etc/passwd',
  '/dev/null',
  'functions/',
  '',
  'Demo',
  'a b',
  '-x',
  'x-',
  'GET',
  'get',
  'ANY',
  'POST',
  'BREW',
  '/sum',
  '/exec/x',
  '/api/*',
  '/a/*/b',
  '//',
  '/',
  '*',
  'wagi',
  'args',
  'WAGI',
  '_start',
  'null',
  '~',
  'true',
  'yes',
  'no',
  'on',
  'http://localhost:8000',
  'ftp://x',
  'é',
  '🙂',
  '\u202e',
  'ä/ö.wat',
];
const SUBSTITUTIONS = [
  '${env:NANO_X}',
  '${env:PAGES, 2}',
  '${env:UNSET}',
  '${env:UNSET, }',
  '${env:EMPTY}',
  '${env:PAGES}',
  '${env:HUGE}',
  '${stage}',
  '${nope}',
  '${',
  '${}',
  '${env:}',
  '$${env:NANO_X}',
  '${env:NANO_X}${env:NANO_X}',
  '${env:A-B}',
  '${env:PAGES, ${env:PAGES}}',
  'x${stage}y',
];
const TAGS = [
  '!!str',
  '!!int',
  '!!float',
  '!!bool',
  '!!null',
  '!!binary',
  '!!timestamp',
  '!!map',
  '!!seq',
  '!!set',
  '!!omap',
  '!custom',
  '!<tag:x>',
];

/** One scalar as YAML text (quoted or plain, possibly with a tag). */
const scalarText: fc.Arbitrary<string> = weighted(
  [4, fc.constantFrom(...NUMBERS)],
  [3, fc.constantFrom(...DURATIONS)],
  [5, fc.constantFrom(...WORDS)],
  [3, fc.constantFrom(...SUBSTITUTIONS)],
  [2, fc.integer().map(String)],
  [1, fc.double().map(String)],
  [1, fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }).map(String)],
  [2, fc.string({ unit: 'grapheme', maxLength: 12 }).map((s) => JSON.stringify(s))],
  [1, fc.string({ unit: 'binary', maxLength: 12 }).map((s) => JSON.stringify(s))],
  [1, fc.string({ maxLength: 12 }).map((s) => `'${s.replaceAll("'", "''")}'`)],
  [1, fc.integer({ min: 1000, max: 200_000 }).map((n) => 'x'.repeat(n))],
  [1, fc.tuple(fc.constantFrom(...TAGS), fc.constantFrom('5', 'x', 'aGVsbG8=', '2001-12-14', '', '[1]')).map(([tag, v]) => `${tag} ${v}`)],
  [1, fc.constantFrom('|\n  block\n  text', '>-\n  folded', '"multi\n  line"', '? x', '- x', ': x', '#', '&', '*', '!', '%', '@', '`')],
);

/** Flow collections, some nested very deep. */
const flowText: fc.Arbitrary<string> = weighted(
  [3, fc.array(scalarText, { maxLength: 4 }).map((items) => `[${items.join(', ')}]`)],
  [
    2,
    fc
      .array(fc.tuple(fc.constantFrom(...WORDS, 'method', 'path'), scalarText), { maxLength: 3 })
      .map((pairs) => `{${pairs.map(([k, v]) => `${JSON.stringify(k)}: ${v}`).join(', ')}}`),
  ],
  [1, fc.integer({ min: 1, max: 5000 }).map((depth) => `${'['.repeat(depth)}1${']'.repeat(depth)}`)],
  [1, fc.integer({ min: 1, max: 5000 }).map((depth) => `${'{a: '.repeat(depth)}1${'}'.repeat(depth)}`)],
  [1, fc.integer({ min: 1, max: 200 }).map((depth) => `${'['.repeat(depth)}`)],
);

/** What a key of a given role gets: usually a fitting value, often a hostile one. */
type Role = 'service' | 'url' | 'number' | 'duration' | 'source' | 'method' | 'path' | 'abi' | 'string' | 'globs';

const fitting: Record<Role, fc.Arbitrary<string>> = {
  service: fc.constantFrom('demo', 'my-service', 'demo-${stage}', 'Demo', '-x', 'a'.repeat(100), '${env:NANO_X}'),
  url: fc.constantFrom('http://localhost:8000', '${env:NANO_URL, http://localhost:8000}', 'not a url', 'http://[::1]:0', ''),
  number: fc.constantFrom(...NUMBERS, '${env:PAGES, 2}', '${env:PAGES}'),
  duration: fc.constantFrom(...DURATIONS, '${env:T, 5s}'),
  source: fc.constantFrom(
    'functions/answer.wat',
    'functions/sum.wat',
    'functions/missing.wat',
    'functions/answer.wasm',
    'nano.yml',
    '.',
    '',
  ),
  method: fc.constantFrom('GET', 'POST', 'ANY', 'DELETE', 'get', 'BREW', ''),
  path: fc.constantFrom('/sum', '/a', '/api/*', '/exec', '/stats/x', '/a/*/b', 'no-slash', '/', '//', '/é', '/a?b', '/a/**'),
  abi: fc.constantFrom('args', 'wagi', 'cgi'),
  string: fc.constantFrom('hello', 'x', '', '${env:NANO_X}', 'é🙂'),
  globs: fc.constantFrom('include/**/*.wat', '**', '../**', '[', '!x', '{a,b}'),
};

const FUNCTION_KEYS: [string, Role][] = [
  ['source', 'source'],
  ['entry', 'string'],
  ['description', 'string'],
  ['memory', 'number'],
  ['timeout', 'duration'],
  ['cacheTtl', 'duration'],
  ['concurrency', 'number'],
  ['abi', 'abi'],
  ['build', 'string'],
];
const LIMIT_KEYS: [string, Role][] = [
  ['memory', 'number'],
  ['timeout', 'duration'],
  ['cacheTtl', 'duration'],
  ['concurrency', 'number'],
];
const UNKNOWN_KEYS = [
  'timout',
  'memroy',
  'x',
  'Service',
  'FUNCTIONS',
  '<<',
  '"quoted key"',
  '? complex',
  '1',
  'null',
  '"${env:NANO_X}"',
  'é',
  '"a.b"',
  '__proto__',
  'constructor',
];

/** A hostile value of any shape: scalar, flow, a nested block, an alias. */
const hostileValue = (depth: number): fc.Arbitrary<Rendered> => {
  const leaves: [number, fc.Arbitrary<Rendered>][] = [
    [4, scalarText.map((inline) => ({ inline }))],
    [2, flowText.map((inline) => ({ inline }))],
    [1, fc.constantFrom('*a', '*b', '*nope', '&a x', '&b [1, 2]', '&a', '!!str', '[*a, *a]').map((inline) => ({ inline }))],
    [1, fc.integer({ min: 1, max: 300 }).map((levels) => ({ block: nestedBlock(levels) }))],
  ];
  if (depth <= 0) return weighted(...leaves);
  const inner = hostileValue(depth - 1);
  return weighted<Rendered>(
    ...leaves,
    [
      1,
      fc
        .array(fc.tuple(fc.constantFrom(...UNKNOWN_KEYS, ...WORDS.slice(0, 6)), inner), { maxLength: 3 })
        .map((pairs) => ({ block: pairs.flatMap(([key, value]) => renderPair(key, value)) })),
    ],
    [1, fc.array(inner, { maxLength: 3 }).map((items) => ({ block: items.flatMap(renderItem) }))],
  );
};

function nestedBlock(depth: number): string[] {
  const lines: string[] = [];
  for (let level = 0; level < depth; level += 1) lines.push(`${'  '.repeat(level)}k:`);
  lines.push(`${'  '.repeat(depth)}v`);
  return lines;
}

function renderPair(key: string, value: Rendered): string[] {
  return 'inline' in value ? [`${key}: ${value.inline}`] : value.block.length === 0 ? [`${key}:`] : [`${key}:`, ...indent(value.block)];
}

function renderItem(value: Rendered): string[] {
  if ('inline' in value) return [`- ${value.inline}`];
  const [first, ...rest] = value.block;
  return first === undefined ? ['-'] : [`- ${first}`, ...indent(rest)];
}

const valueFor = (role: Role): fc.Arbitrary<Rendered> =>
  weighted<Rendered>([5, fitting[role].map((inline) => ({ inline }))], [2, hostileValue(2)]);

/** A map of known keys (each maybe present) plus unknown ones, duplicated keys sometimes. */
function mapOf(keys: [string, Role][], extra: [string, fc.Arbitrary<Rendered>][] = []): fc.Arbitrary<string[]> {
  const known = keys.map(([key, role]) =>
    fc.option(valueFor(role), { freq: 2 }).map((value) => (value === null ? [] : renderPair(key, value))),
  );
  const more = extra.map(([key, arbitrary]) =>
    fc.option(arbitrary, { freq: 3 }).map((value) => (value === null ? [] : renderPair(key, value))),
  );
  const unknown = fc.array(
    fc.tuple(fc.constantFrom(...UNKNOWN_KEYS, ...keys.map(([key]) => key)), hostileValue(1)).map(([key, value]) => renderPair(key, value)),
    { maxLength: 2 },
  );
  return fc
    .tuple(fc.tuple(...known, ...more), unknown, fc.boolean())
    .chain(([parts, odd, shuffle]) => {
      const lines = [...parts, ...odd];
      return shuffle ? fc.shuffledSubarray(lines, { minLength: lines.length, maxLength: lines.length }) : fc.constant(lines);
    })
    .map((parts) => parts.flat());
}

const route: fc.Arbitrary<Rendered> = weighted<Rendered>(
  [
    3,
    mapOf([
      ['method', 'method'],
      ['path', 'path'],
    ]).map((block) => ({ block })),
  ],
  [
    2,
    fc
      .array(
        mapOf([
          ['method', 'method'],
          ['path', 'path'],
        ]),
        { maxLength: 3 },
      )
      .map((maps) => ({ block: maps.flatMap((block) => renderItem({ block })) })),
  ],
  [1, fc.constantFrom('{ method: GET, path: /sum }', '{ path: /a }', '[{ path: /a }, { path: /a }]', '/sum').map((inline) => ({ inline }))],
);

const env: fc.Arbitrary<Rendered> = fc
  .array(fc.tuple(fc.constantFrom('GREETING', 'X', 'lower', 'A B', 'PATH_INFO', 'é', '1X'), fitting.string), { maxLength: 3 })
  .map((pairs) => ({ block: pairs.map(([key, value]) => `${key}: ${value}`) }));

const watch: fc.Arbitrary<Rendered> = weighted<Rendered>(
  [1, fitting.globs.map((inline) => ({ inline }))],
  [1, fc.array(fitting.globs, { maxLength: 3 }).map((items) => ({ inline: `[${items.join(', ')}]` }))],
);

const functionBody = mapOf(FUNCTION_KEYS, [
  ['http', route],
  ['env', env],
  ['watch', watch],
]).map((block) => ({ block }) as Rendered);

const FUNCTION_NAMES = ['answer', 'sum', 'a', 'x-1', 'Sum', '1x', 'a_b', 'é', 'a'.repeat(64), 'a'.repeat(63), '"quoted"', 'exec', '<<'];

const functions: fc.Arbitrary<Rendered> = weighted<Rendered>(
  [
    6,
    fc
      .array(fc.tuple(fc.constantFrom(...FUNCTION_NAMES), weighted<Rendered>([6, functionBody], [1, hostileValue(1)])), {
        minLength: 1,
        maxLength: 3,
      })
      .map((pairs) => ({ block: pairs.flatMap(([name, body]) => renderPair(name, body)) })),
  ],
  [1, hostileValue(2)],
);

/** A whole document's lines before mangling. */
const documentLines: fc.Arbitrary<string[]> = fc
  .tuple(
    mapOf(
      [['service', 'service']],
      [
        ['provider', mapOf([['url', 'url']]).map((block) => ({ block }) as Rendered)],
        ['defaults', mapOf(LIMIT_KEYS).map((block) => ({ block }) as Rendered)],
        ['functions', functions],
      ],
    ),
    fc.constantFrom(
      [],
      ['# yaml-language-server: $schema=../schema/nano.schema.json'],
      ['%YAML 1.2', '---'],
      ['---'],
      ['%TAG ! tag:x,2000:'],
    ),
    fc.constantFrom([], ['...'], ['---', 'service: second'], ['---']),
  )
  .map(([body, head, tail]) => [...head, ...body, ...tail]);

/** An alias bomb (each level refers to the one before it many times) or a merge-key tangle. */
const aliasTricks: fc.Arbitrary<string[]> = fc.oneof(
  fc.tuple(fc.integer({ min: 2, max: 12 }), fc.integer({ min: 2, max: 12 })).map(([levels, width]) => {
    const lines = [`l0: &l0 [${Array.from({ length: width }, () => 'x').join(', ')}]`];
    for (let level = 1; level < levels; level += 1) {
      lines.push(`l${level}: &l${level} [${Array.from({ length: width }, () => `*l${level - 1}`).join(', ')}]`);
    }
    return lines;
  }),
  fc.constantFrom<string[]>(
    ['base: &base { memory: 2, timeout: 5s }', 'defaults:', '  <<: *base'],
    ['defaults: &d', '  <<: *d'],
    ['defaults:', '  <<: [1, 2]'],
    ['defaults:', '  <<: *undefined'],
    ['a: &a', '  b: *a'],
    ['functions: &f', '  answer: { source: functions/answer.wat }', 'extra: *f'],
    ['service: &s demo', 'functions:', '  *s : { source: functions/answer.wat }'],
    ['? [a, b]', ': c'],
    ['? { a: 1 }', ': c'],
  ),
);

/** Damage done to the text as bytes or lines. */
type Mangle = (text: string) => string;
const mangle: fc.Arbitrary<Mangle> = weighted<Mangle>(
  [8, fc.constant((text: string) => text)],
  [
    1,
    fc.tuple(fc.nat(), fc.string({ unit: 'binary', minLength: 1, maxLength: 8 })).map(
      ([at, junk]) =>
        (text: string) =>
          text.slice(0, at % (text.length + 1)) + junk + text.slice(at % (text.length + 1)),
    ),
  ],
  [1, fc.nat().map((at) => (text: string) => text.slice(0, at % (text.length + 1)))],
  [
    1,
    fc.nat().map((at) => (text: string) => {
      const lines = text.split('\n');
      const index = at % lines.length;
      lines.splice(index, 0, lines[index] ?? '');
      return lines.join('\n');
    }),
  ],
  [
    1,
    fc.constantFrom<Mangle>(
      (t) => t.replaceAll('  ', '\t'),
      (t) => `\uFEFF${t}`,
      (t) => t.replaceAll('\n', '\r\n'),
      (t) => t.replaceAll('\n', '\r'),
      (t) => `${t}\u0000`,
      (t) => t.replaceAll(': ', ':'),
    ),
  ],
);

/* ---------- valid documents, and valid documents with one hostile line ---------- */

const validLimits = fc.record(
  {
    memory: fc.constantFrom('1', '2', '16', '65536', '${env:PAGES, 2}'),
    timeout: fc.constantFrom('5s', '250ms', '100', '1m', '${env:T, 5s}', '1.5s'),
    cacheTtl: fc.constantFrom('1s', '30s', '1m'),
    concurrency: fc.constantFrom('1', '100'),
  },
  { requiredKeys: [] },
);

const validFunction = fc.record(
  {
    source: fc.constantFrom('functions/answer.wat', 'functions/sum.wat'),
    limits: validLimits,
    entry: fc.option(fc.constant('_start')),
    description: fc.option(fc.constantFrom('Adds two numbers', 'é🙂', '"quoted: yes"')),
    http: fc.option(
      fc.constantFrom(
        '{ method: GET, path: /sum }',
        '{ path: /x }',
        '[{ path: /a }, { method: POST, path: /b/* }]',
        '{ method: ANY, path: /api/* }',
      ),
    ),
    abi: fc.option(fc.constantFrom('args', 'wagi')),
    env: fc.option(fc.constantFrom('{ GREETING: hello }', '{}')),
    watch: fc.option(fc.constantFrom('[include/**/*.wat]', 'src/*.ts')),
  },
  { requiredKeys: ['source', 'limits'] },
);

const validDocument: fc.Arbitrary<string[]> = fc
  .tuple(
    fc.constantFrom('demo', 'demo-${stage}', 'x1', '${env:NANO_X}'),
    fc.option(fc.constantFrom('http://localhost:8000', '${env:NANO_URL, http://localhost:8000}')),
    fc.option(validLimits),
    fc.uniqueArray(fc.tuple(fc.constantFrom('answer', 'sum', 'a', 'x-1', 'a'.repeat(63)), validFunction), {
      minLength: 1,
      maxLength: 3,
      selector: ([name]) => name,
    }),
  )
  .map(([service, url, defaults, fns]) => {
    const lines = [`service: ${service}`];
    if (url !== null) lines.push('provider:', `  url: ${url}`);
    if (defaults !== null && Object.keys(defaults).length > 0)
      lines.push('defaults:', ...Object.entries(defaults).map(([k, v]) => `  ${k}: ${v}`));
    lines.push('functions:');
    fns.forEach(([name, fn], index) => {
      lines.push(`  ${name}:`, `    source: ${fn.source}`);
      Object.entries(fn.limits ?? {}).forEach(([k, v]) => lines.push(`    ${k}: ${v}`));
      // Two functions with one route would collide: only the first gets one.
      for (const key of ['entry', 'description', 'http', 'abi', 'env', 'watch'] as const) {
        const value = fn[key];
        if (value !== null && value !== undefined && !(key === 'http' && index > 0)) lines.push(`    ${key}: ${value}`);
      }
    });
    return lines;
  });

/** A valid document with one line replaced by, or joined by, a hostile `key: value` at that line's indentation. */
const nearlyValidDocument: fc.Arbitrary<string[]> = fc
  .tuple(
    validDocument,
    fc.nat(),
    fc.boolean(),
    fc.constantFrom(...UNKNOWN_KEYS, 'service', 'source', 'memory', 'timeout', 'http', 'functions', 'answer', 'env'),
    hostileValue(1),
  )
  .map(([lines, at, replace, key, value]) => {
    const index = at % lines.length;
    const indentation = /^ */.exec(lines[index] ?? '')?.[0] ?? '';
    const inserted = renderPair(key, value).map((line) => indentation + line);
    return [...lines.slice(0, index), ...inserted, ...lines.slice(replace ? index + 1 : index)];
  });

/** nano.yml text, the generator of the first kind. */
export const nanoYmlText: fc.Arbitrary<string> = weighted<string>(
  [2, validDocument.map((lines) => `${lines.join('\n')}\n`)],
  [3, fc.tuple(nearlyValidDocument, mangle).map(([lines, damage]) => damage(`${lines.join('\n')}\n`))],
  [
    5,
    fc.tuple(documentLines, fc.option(aliasTricks, { freq: 5 }), fc.boolean(), mangle).map(([lines, tricks, tricksFirst, damage]) => {
      const all = tricks === null ? lines : tricksFirst ? [...tricks, ...lines] : [...lines, ...tricks];
      return damage(`${all.join('\n')}\n`);
    }),
  ],
);

/** The environment the config is resolved with: what the substitutions above refer to. */
export const FUZZ_ENV: Record<string, string> = {
  NANO_X: 'x',
  PAGES: '3',
  EMPTY: '',
  HUGE: '1'.repeat(400),
  T: '250ms',
};
