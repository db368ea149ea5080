/**
 * Bad nano.yml files, each with the exact lines a user reads: `nano.yml:LINE:COL key.path: message`.
 * The lines are taken from the error's message, which is what the CLI prints.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/config/index.js';
import { NanoError, ProblemsError } from '../../src/errors.js';
import { removeTempProjects, tempProject, yml, type Files } from '../helpers/project.js';
import { ANSWER_WAT, SUM_WAT } from '../helpers/wat.js';

afterEach(removeTempProjects);

interface Attempt {
  files?: Files;
  env?: Record<string, string>;
}

async function rejection(yaml: string, { files = {}, env = {} }: Attempt = {}): Promise<{ error: unknown; dir: string }> {
  const dir = await tempProject({ 'nano.yml': yaml, 'functions/sum.wat': SUM_WAT, 'functions/answer.wat': ANSWER_WAT, ...files });
  const error = await resolveConfig('nano.yml', { cwd: dir, env }).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  return { error, dir };
}

/** The problem lines the user sees, without the header and the two-space indent. */
function linesOf(error: unknown): string[] {
  expect(error).toBeInstanceOf(ProblemsError);
  const { code, message } = error as ProblemsError;
  expect(code).toBe('ConfigInvalid');
  const [header, ...lines] = message.split('\n');
  expect(header).toBe(`nano.yml is invalid (${lines.length === 1 ? '1 problem' : `${lines.length} problems`}):`);
  return lines.map((line) => line.replace(/^ {2}/, ''));
}

async function problemLines(yaml: string, attempt: Attempt = {}): Promise<string[]> {
  return linesOf((await rejection(yaml, attempt)).error);
}

describe('resolveConfig refuses a bad nano.yml', () => {
  it('prints a header, one indented line per problem and a hint', async () => {
    const { error } = await rejection(yml('service: demo', 'functions:', '  sum:', '    source: functions/sum.wat', '    timeout: fast'));
    expect((error as NanoError).message).toBe(
      'nano.yml is invalid (1 problem):\n' +
        '  nano.yml:5:14 functions.sum.timeout: expected a duration like "500ms" or "5s" (or a number of ms), got "fast"',
    );
    expect((error as NanoError).hint).toBe('fix the file and run the command again');
  });

  describe('YAML syntax', () => {
    it('reports a tab used as indentation', async () => {
      expect(await problemLines(yml('service: demo', 'functions:', '  sum:', '\tsource: functions/sum.wat'))).toEqual([
        'nano.yml:4:1: invalid YAML: Tabs are not allowed as indentation',
      ]);
    });

    it('reports an unclosed flow mapping', async () => {
      const yaml = yml('service: demo', 'functions:', '  sum:', '    source: functions/sum.wat', '    http: { method: GET, path: /sum');
      expect(await problemLines(yaml)).toEqual([
        'nano.yml:6:1: invalid YAML: Flow map in block collection must be sufficiently indented and end with a }',
      ]);
    });

    it('names a duplicate key', async () => {
      const yaml = yml(
        'service: demo',
        'functions:',
        '  sum:',
        '    source: functions/sum.wat',
        '  sum:',
        '    source: functions/answer.wat',
      );
      expect(await problemLines(yaml)).toEqual([
        'nano.yml:5:3: invalid YAML: duplicate key "sum"; a key may appear only once in a mapping',
      ]);
    });
  });

  describe('empty files', () => {
    it('refuses an empty file', async () => {
      expect(await problemLines('')).toEqual(['nano.yml:1:1: the file is empty; expected at least `service:` and `functions:`']);
    });

    it('refuses a file with only comments', async () => {
      expect(await problemLines(yml('# nothing here yet'))).toEqual([
        'nano.yml:1:1: the file is empty; expected at least `service:` and `functions:`',
      ]);
    });

    it('refuses a document that is not a mapping', async () => {
      expect(await problemLines(yml('- service', '- functions'))).toEqual(['nano.yml:1:1: expected a mapping, got a list']);
    });
  });

  describe('unknown keys', () => {
    it('suggests the top-level key that was probably meant', async () => {
      const yaml = yml('service: demo', 'default:', '  memory: 2', 'functions:', '  sum:', '    source: functions/sum.wat');
      expect(await problemLines(yaml)).toEqual(['nano.yml:2:1 default: unknown key "default", did you mean "defaults"?']);
    });

    it('reports a misspelt required key both as unknown and as missing', async () => {
      const yaml = yml('service: demo', 'funtions:', '  sum:', '    source: functions/sum.wat');
      expect(await problemLines(yaml)).toEqual([
        'nano.yml:1:1 functions: missing required key',
        'nano.yml:2:1 funtions: unknown key "funtions", did you mean "functions"?',
      ]);
    });

    it('suggests the function key that was probably meant', async () => {
      const yaml = yml('service: demo', 'functions:', '  sum:', '    source: functions/sum.wat', '    memroy: 2');
      expect(await problemLines(yaml)).toEqual(['nano.yml:5:5 functions.sum.memroy: unknown key "memroy", did you mean "memory"?']);
    });

    it('lists the expected keys when nothing is close', async () => {
      const yaml = yml('service: demo', 'functions:', '  sum:', '    source: functions/sum.wat', '    banana: 1');
      expect(await problemLines(yaml)).toEqual([
        'nano.yml:5:5 functions.sum.banana: unknown key "banana"; expected one of: source, build, entry, abi, env, description, memory, timeout, cacheTtl, concurrency, http, watch',
      ]);
    });

    it('refuses a token in the file, where it does not belong', async () => {
      const yaml = yml(
        'service: demo',
        'provider:',
        '  url: http://localhost:8000',
        '  token: s3cret',
        'functions:',
        '  sum:',
        '    source: functions/sum.wat',
      );
      expect(await problemLines(yaml)).toEqual(['nano.yml:4:3 provider.token: unknown key "token"; expected one of: url']);
    });
  });

  describe('types and values', () => {
    it('refuses a build command that is not a string', async () => {
      const yaml = yml('service: demo', 'functions:', '  sum:', '    source: out/sum.wasm', '    build: [asc, index.ts]');
      expect(await problemLines(yaml)).toEqual([
        'nano.yml:5:12 functions.sum.build: expected one shell command as a string, like "asc index.ts -o index.wasm", got a list',
      ]);
    });

    it('refuses a string where a number of pages is expected', async () => {
      const yaml = yml('service: demo', 'functions:', '  sum:', '    source: functions/sum.wat', '    memory: two');
      expect(await problemLines(yaml)).toEqual([
        'nano.yml:5:13 functions.sum.memory: expected a whole number of 64 KiB pages from 1 to 65536, got "two"',
      ]);
    });

    it('says "a mapping" where a scalar was given for one', async () => {
      const yaml = yml('service: demo', 'provider: 5', 'functions:', '  sum: functions/sum.wat');
      expect(await problemLines(yaml)).toEqual([
        'nano.yml:2:11 provider: expected a mapping, got 5',
        'nano.yml:4:8 functions.sum: expected a mapping, got "functions/sum.wat"',
      ]);
    });

    it('refuses a duration that is not one', async () => {
      const yaml = yml('service: demo', 'functions:', '  sum:', '    source: functions/sum.wat', '    timeout: fast');
      expect(await problemLines(yaml)).toEqual([
        'nano.yml:5:14 functions.sum.timeout: expected a duration like "500ms" or "5s" (or a number of ms), got "fast"',
      ]);
    });

    it('refuses zero, negative and fractional durations', async () => {
      const yaml = yml(
        'service: demo',
        'defaults:',
        '  timeout: 0',
        '  cacheTtl: -5',
        'functions:',
        '  sum:',
        '    source: functions/sum.wat',
        '    timeout: 1.5ms',
      );
      expect(await problemLines(yaml)).toEqual([
        'nano.yml:3:12 defaults.timeout: expected a duration like "500ms" or "5s" (or a number of ms), got 0',
        'nano.yml:4:13 defaults.cacheTtl: expected a duration like "500ms" or "5s" (or a number of ms), got -5',
        'nano.yml:8:14 functions.sum.timeout: expected a duration like "500ms" or "5s" (or a number of ms), got "1.5ms"',
      ]);
    });

    it('refuses a duration beyond its limit, as the deploy API would', async () => {
      const yaml = yml(
        'service: demo',
        'defaults:',
        '  cacheTtl: 25h',
        'functions:',
        '  sum:',
        '    source: functions/sum.wat',
        '    timeout: 120m',
        '  answer:',
        '    source: functions/answer.wat',
        '    timeout: 3600001',
      );
      expect(await problemLines(yaml)).toEqual([
        'nano.yml:3:13 defaults.cacheTtl: expected a cacheTtl of at most 1d, got "25h"',
        'nano.yml:7:14 functions.sum.timeout: expected a timeout of at most 1h, got "120m"',
        'nano.yml:10:14 functions.answer.timeout: expected a timeout of at most 1h, got 3600001',
      ]);
    });

    it('refuses out-of-range memory and concurrency', async () => {
      const yaml = yml('service: demo', 'functions:', '  sum:', '    source: functions/sum.wat', '    memory: 0', '    concurrency: 1.5');
      expect(await problemLines(yaml)).toEqual([
        'nano.yml:5:13 functions.sum.memory: expected a whole number of 64 KiB pages from 1 to 65536, got 0',
        'nano.yml:6:18 functions.sum.concurrency: expected a whole number from 1 to 10000, got 1.5',
      ]);
    });

    it('refuses a provider url that is not http(s)', async () => {
      const yaml = yml('service: demo', 'provider:', '  url: localhost:8000', 'functions:', '  sum:', '    source: functions/sum.wat');
      expect(await problemLines(yaml)).toEqual(['nano.yml:3:8 provider.url: expected an http:// or https:// URL, got "localhost:8000"']);
    });
  });

  describe('names', () => {
    it('refuses a function name with a capital letter', async () => {
      const yaml = yml('service: demo', 'functions:', '  Sum:', '    source: functions/sum.wat');
      expect(await problemLines(yaml)).toEqual([
        'nano.yml:3:3 functions.Sum: expected a function name of lowercase letters, digits and dashes, starting with a letter (at most 63 characters), got "Sum"',
      ]);
    });

    it('refuses a service name with a space', async () => {
      const yaml = yml('service: My Demo', 'functions:', '  sum:', '    source: functions/sum.wat');
      expect(await problemLines(yaml)).toEqual([
        'nano.yml:1:10 service: expected a service name of lowercase letters, digits and dashes, starting with a letter (at most 63 characters), got "My Demo"',
      ]);
    });
  });

  describe('required keys', () => {
    it('requires service', async () => {
      expect(await problemLines(yml('functions:', '  sum:', '    source: functions/sum.wat'))).toEqual([
        'nano.yml:1:1 service: missing required key',
      ]);
    });

    it('requires functions', async () => {
      expect(await problemLines(yml('service: demo'))).toEqual(['nano.yml:1:1 functions: missing required key']);
    });

    it('requires at least one function', async () => {
      expect(await problemLines(yml('service: demo', 'functions: {}'))).toEqual([
        'nano.yml:2:12 functions: expected at least one function, got an empty mapping',
      ]);
    });

    it('requires a value under functions:', async () => {
      expect(await problemLines(yml('service: demo', 'functions:'))).toEqual([
        'nano.yml:2:11 functions: expected at least one function, got null',
      ]);
    });

    it('requires a source for every function', async () => {
      const yaml = yml('service: demo', 'functions:', '  sum:', '    memory: 2');
      expect(await problemLines(yaml)).toEqual(['nano.yml:3:3 functions.sum: missing required key "source"']);
    });
  });

  describe('sources', () => {
    it('refuses a source file that does not exist, saying where it looked', async () => {
      const yaml = yml('service: demo', 'functions:', '  sum:', '    source: functions/nope.wat');
      const { error, dir } = await rejection(yaml);
      expect(linesOf(error)).toEqual([
        `nano.yml:4:13 functions.sum.source: source file "functions/nope.wat" does not exist (looked for ${join(dir, 'functions', 'nope.wat')})`,
      ]);
    });

    it('refuses a source that is a folder', async () => {
      const yaml = yml('service: demo', 'functions:', '  sum:', '    source: functions.wat');
      const lines = await problemLines(yaml, { files: { 'functions.wat/keep': '' } });
      expect(lines).toEqual(['nano.yml:4:13 functions.sum.source: expected a file, got the folder "functions.wat"']);
    });

    it('refuses a source with another extension', async () => {
      const yaml = yml('service: demo', 'functions:', '  sum:', '    source: functions/sum.js');
      expect(await problemLines(yaml, { files: { 'functions/sum.js': '' } })).toEqual([
        'nano.yml:4:13 functions.sum.source: expected a path to a .wat or .wasm file, got "functions/sum.js"',
      ]);
    });
  });

  describe('routes', () => {
    const withHttp = (http: string) => yml('service: demo', 'functions:', '  sum:', '    source: functions/sum.wat', `    http: ${http}`);

    it('refuses an unknown HTTP method', async () => {
      expect(await problemLines(withHttp('{ method: FETCH, path: /sum }'))).toEqual([
        'nano.yml:5:21 functions.sum.http.method: expected one of GET, POST, PUT, PATCH, DELETE, ANY, got "FETCH"',
      ]);
    });

    it('refuses a path without a leading slash and a route without a path, by list index', async () => {
      expect(await problemLines(withHttp('[{ path: sum }, { method: GET }]'))).toEqual([
        'nano.yml:5:20 functions.sum.http[0].path: expected a path like /sum, /api/items or /api/items/*, got "sum"',
        'nano.yml:5:27 functions.sum.http[1]: missing required key "path"',
      ]);
    });

    it('refuses an empty list of routes', async () => {
      expect(await problemLines(withHttp('[]'))).toEqual([
        'nano.yml:5:11 functions.sum.http: expected a route like { method: GET, path: /sum } or a list of them, got an empty list',
      ]);
    });

    it('refuses the same route on two functions, naming the first owner', async () => {
      const yaml = yml(
        'service: demo',
        'functions:',
        '  sum:',
        '    source: functions/sum.wat',
        '    http: { method: GET, path: /sum }',
        '  answer:',
        '    source: functions/answer.wat',
        '    http: { path: /sum/ }',
      );
      expect(await problemLines(yaml)).toEqual([
        'nano.yml:8:19 functions.answer.http.path: duplicate route GET /sum: already used by function "sum"',
      ]);
    });

    it('treats ANY as overlapping every method', async () => {
      const yaml = yml(
        'service: demo',
        'functions:',
        '  sum:',
        '    source: functions/sum.wat',
        '    http: { method: POST, path: /calc }',
        '  answer:',
        '    source: functions/answer.wat',
        '    http: { method: ANY, path: /calc }',
      );
      expect(await problemLines(yaml)).toEqual([
        'nano.yml:8:32 functions.answer.http.path: duplicate route ANY /calc: already used by function "sum"',
      ]);
    });

    it('refuses a route under a path the platform serves itself', async () => {
      expect(await problemLines(withHttp('{ path: /exec/x }'))).toEqual([
        'nano.yml:5:19 functions.sum.http.path: route "/exec/x" is reserved by the platform (/exec); choose another path',
      ]);
    });
  });

  describe('substitution', () => {
    it('refuses an unset variable without a default, and reports it only once', async () => {
      const yaml = yml('service: demo', 'functions:', '  sum:', '    source: functions/sum.wat', '    timeout: ${env:NANO_TIMEOUT}');
      expect(await problemLines(yaml)).toEqual([
        'nano.yml:5:14 functions.sum.timeout: environment variable NANO_TIMEOUT is not set; set it, or give a default with ${env:NANO_TIMEOUT, default}',
      ]);
    });

    it('refuses an unknown substitution', async () => {
      const yaml = yml('service: demo-${region}', 'functions:', '  sum:', '    source: functions/sum.wat');
      expect(await problemLines(yaml)).toEqual([
        'nano.yml:1:10 service: unknown substitution "${region}"; expected ${env:NAME}, ${env:NAME, default} or ${stage}',
      ]);
    });

    it('validates the substituted value', async () => {
      const yaml = yml('service: demo', 'functions:', '  sum:', '    source: functions/sum.wat', '    timeout: ${env:NANO_TIMEOUT}');
      expect(await problemLines(yaml, { env: { NANO_TIMEOUT: 'soon' } })).toEqual([
        'nano.yml:5:14 functions.sum.timeout: expected a duration like "500ms" or "5s" (or a number of ms), got "soon"',
      ]);
    });
  });

  it('reports every problem at once, sorted by line', async () => {
    // The schema meets `service` first; sorting puts the problems in the file's order.
    const yaml = yml(
      'functions:',
      '  sum:',
      '    source: functions/sum.wat',
      '    memry: 2',
      '  answer:',
      '    source: functions/answer.wat',
      '    timeout: fast',
      'service: Demo',
    );
    expect(await problemLines(yaml)).toEqual([
      'nano.yml:4:5 functions.sum.memry: unknown key "memry", did you mean "memory"?',
      'nano.yml:7:14 functions.answer.timeout: expected a duration like "500ms" or "5s" (or a number of ms), got "fast"',
      'nano.yml:8:10 service: expected a service name of lowercase letters, digits and dashes, starting with a letter (at most 63 characters), got "Demo"',
    ]);
  });

  it('names the file as the user gave it, relative to the working folder', async () => {
    const dir = await tempProject({
      'project/nano.yml': yml('service: demo', 'functions:', '  sum:', '    source: functions/sum.wat', '    timeout: fast'),
      'project/functions/sum.wat': SUM_WAT,
    });
    const error = await resolveConfig('project/nano.yml', { cwd: dir, env: {} }).catch((caught: unknown) => caught);
    expect((error as ProblemsError).message.split('\n')).toEqual([
      'project/nano.yml is invalid (1 problem):',
      '  project/nano.yml:5:14 functions.sum.timeout: expected a duration like "500ms" or "5s" (or a number of ms), got "fast"',
    ]);
  });

  it('says ConfigNotFound when there is no nano.yml', async () => {
    const dir = await tempProject();
    const error = await resolveConfig('nano.yml', { cwd: dir, env: {} }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(NanoError);
    expect((error as NanoError).code).toBe('ConfigNotFound');
    expect((error as NanoError).message).toBe('cannot read nano.yml: no such file');
    expect((error as NanoError).hint).toContain('nano init');
  });
});
