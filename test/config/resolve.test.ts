/** What a valid nano.yml resolves to: the one read-only config every later stage is built from. */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/config/index.js';
import { REPO_ROOT, removeTempProjects, tempProject, yml } from '../helpers/project.js';
import { ANSWER_WAT, SUM_WAT } from '../helpers/wat.js';

afterEach(removeTempProjects);

async function resolveYaml(yaml: string, options: { env?: Record<string, string>; stage?: string } = {}) {
  const dir = await tempProject({ 'nano.yml': yaml, 'functions/sum.wat': SUM_WAT, 'functions/answer.wat': ANSWER_WAT });
  const config = await resolveConfig('nano.yml', { cwd: dir, env: options.env ?? {}, stage: options.stage });
  return { config, dir };
}

const only = <T>(items: readonly T[]): T => {
  expect(items).toHaveLength(1);
  return items[0]!;
};

describe('resolveConfig', () => {
  it('applies the built-in defaults when there is no defaults: section', async () => {
    const { config } = await resolveYaml(yml('service: demo', 'functions:', '  sum:', '    source: functions/sum.wat'));
    const sum = only(config.functions);
    expect(sum.limits).toEqual({ memoryPages: 16, timeoutMs: 5_000, cacheTtlMs: 60_000, concurrency: null });
    expect(sum.entry).toBe('_start');
    expect(sum.routes).toEqual([]);
    expect(sum.description).toBeUndefined();
    expect(config.stage).toBe('dev');
    expect(config.providerUrl).toBeUndefined();
  });

  it('lets a function override defaults:, which override the built-ins', async () => {
    const { config } = await resolveYaml(
      yml(
        'service: demo',
        'defaults:',
        '  memory: 2',
        '  timeout: 250ms',
        'functions:',
        '  sum:',
        '    source: functions/sum.wat',
        '  answer:',
        '    source: functions/answer.wat',
        '    memory: 4',
        '    cacheTtl: 1m',
        '    concurrency: 3',
      ),
    );
    const [sum, answer] = config.functions;
    expect(sum?.limits).toEqual({ memoryPages: 2, timeoutMs: 250, cacheTtlMs: 60_000, concurrency: null });
    expect(answer?.limits).toEqual({ memoryPages: 4, timeoutMs: 250, cacheTtlMs: 60_000, concurrency: 3 });
  });

  it('parses the durations nano prints: decimals, hours and parts in falling order', async () => {
    const { config } = await resolveYaml(
      yml(
        'service: demo',
        'defaults:',
        '  cacheTtl: 1h',
        'functions:',
        '  a:',
        '    source: functions/sum.wat',
        '    timeout: 1.5s',
        '  b:',
        '    source: functions/sum.wat',
        '    timeout: 2m30s',
        '    cacheTtl: 1d',
        '  c:',
        '    source: functions/sum.wat',
        '    timeout: 1.50s',
        '    cacheTtl: "90000"',
      ),
    );
    expect(config.functions.map((fn) => [fn.name, fn.limits.timeoutMs, fn.limits.cacheTtlMs])).toEqual([
      ['a', 1500, 3_600_000],
      ['b', 150_000, 86_400_000],
      ['c', 1500, 90_000],
    ]);
  });

  it('parses durations in ms, s and m, and plain numbers of ms', async () => {
    const { config } = await resolveYaml(
      yml(
        'service: demo',
        'defaults:',
        '  cacheTtl: 1m',
        'functions:',
        '  a:',
        '    source: functions/sum.wat',
        '    timeout: 250ms',
        '  b:',
        '    source: functions/sum.wat',
        '    timeout: 5s',
        '  c:',
        '    source: functions/sum.wat',
        '    timeout: 1500',
        '    cacheTtl: 2s',
      ),
    );
    expect(config.functions.map((fn) => [fn.name, fn.limits.timeoutMs, fn.limits.cacheTtlMs])).toEqual([
      ['a', 250, 60_000],
      ['b', 5_000, 60_000],
      ['c', 1_500, 2_000],
    ]);
  });

  it('makes paths absolute, relative to the nano.yml folder', async () => {
    const dir = await tempProject({
      'app/nano.yml': yml('service: demo', 'functions:', '  sum:', '    source: functions/sum.wat'),
      'app/functions/sum.wat': SUM_WAT,
    });
    const config = await resolveConfig('app/nano.yml', { cwd: dir, env: {} });
    expect(config.file).toBe(join(dir, 'app', 'nano.yml'));
    expect(config.dir).toBe(join(dir, 'app'));
    const sum = only(config.functions);
    expect(sum.source).toBe(join(dir, 'app', 'functions', 'sum.wat'));
    expect(sum.sourceRelative).toBe('functions/sum.wat');
  });

  it('keeps functions in file order with their routes, method GET by default, trailing slash dropped', async () => {
    const { config } = await resolveYaml(
      yml(
        'service: demo',
        'provider:',
        '  url: http://localhost:8000/',
        'functions:',
        '  sum:',
        '    source: functions/sum.wat',
        '    description: Adds two numbers',
        '    http: { path: /sum/ }',
        '  answer:',
        '    source: functions/answer.wat',
        '    entry: main',
        '    http:',
        '      - { method: POST, path: /answer }',
        '      - { method: ANY, path: /api/answer }',
      ),
    );
    expect(config.service).toBe('demo');
    expect(config.providerUrl).toBe('http://localhost:8000');
    expect(config.functions.map((fn) => fn.name)).toEqual(['sum', 'answer']);
    const [sum, answer] = config.functions;
    expect(sum?.description).toBe('Adds two numbers');
    expect(sum?.routes).toEqual([{ method: 'GET', path: '/sum' }]);
    expect(answer?.entry).toBe('main');
    expect(answer?.routes).toEqual([
      { method: 'POST', path: '/answer' },
      { method: 'ANY', path: '/api/answer' },
    ]);
  });

  it('is deeply frozen', async () => {
    const { config } = await resolveYaml(
      yml('service: demo', 'functions:', '  sum:', '    source: functions/sum.wat', '    http: { path: /sum }'),
    );
    const sum = only(config.functions);
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.functions)).toBe(true);
    expect(Object.isFrozen(sum)).toBe(true);
    expect(Object.isFrozen(sum.limits)).toBe(true);
    expect(Object.isFrozen(sum.routes[0])).toBe(true);
    // Modules are strict code: writing to a frozen object throws rather than being ignored.
    expect(() => {
      (sum.limits as { memoryPages: number }).memoryPages = 9;
    }).toThrow(TypeError);
    expect(sum.limits.memoryPages).toBe(16);
  });

  describe('substitution', () => {
    const withSubstitutions = yml(
      'service: demo-${stage}',
      'provider:',
      '  url: ${env:NANO_URL, http://localhost:8000}',
      'functions:',
      '  sum:',
      '    source: functions/${env:SUM_FILE, sum}.wat',
      '    memory: ${env:PAGES, 2}',
      '    timeout: ${env:TIMEOUT, 3s}',
    );

    it('uses the defaults of unset variables, and the stage (dev unless told)', async () => {
      const { config } = await resolveYaml(withSubstitutions);
      expect(config.service).toBe('demo-dev');
      expect(config.providerUrl).toBe('http://localhost:8000');
      const sum = only(config.functions);
      expect(sum.sourceRelative).toBe('functions/sum.wat');
      // A value that is one whole expression becomes a number when it reads as one.
      expect(sum.limits.memoryPages).toBe(2);
      expect(sum.limits.timeoutMs).toBe(3_000);
    });

    it('prefers set variables to defaults, and takes the stage given', async () => {
      const { config } = await resolveYaml(withSubstitutions, {
        stage: 'prod',
        env: { NANO_URL: 'https://nano.example.com', SUM_FILE: 'answer', PAGES: '5', TIMEOUT: '750ms' },
      });
      expect(config.stage).toBe('prod');
      expect(config.service).toBe('demo-prod');
      expect(config.providerUrl).toBe('https://nano.example.com');
      const sum = only(config.functions);
      expect(sum.sourceRelative).toBe('functions/answer.wat');
      expect(sum.limits.memoryPages).toBe(5);
      expect(sum.limits.timeoutMs).toBe(750);
    });

    it('substitutes an empty variable as empty, not as its default', async () => {
      const { config } = await resolveYaml(yml('service: demo${env:SUFFIX, -x}', 'functions:', '  sum:', '    source: functions/sum.wat'), {
        env: { SUFFIX: '' },
      });
      expect(config.service).toBe('demo');
    });
  });

  it('resolves the shipped examples: the seed four and a wagi one, sleep allowed its 3 s, stuck stopped early', async () => {
    const config = await resolveConfig('examples/nano.yml', { cwd: REPO_ROOT, env: {} });
    const timeout = new Map(config.functions.map((fn) => [fn.name, fn.limits.timeoutMs]));
    expect([...timeout.keys()]).toEqual(['answer', 'sum', 'sleep', 'stuck', 'items']);
    expect(config.functions.find((fn) => fn.name === 'items')?.abi).toBe('wagi');
    expect(timeout.get('sleep')).toBeGreaterThan(3_000);
    expect(timeout.get('stuck')).toBeLessThan(1_000);
  });
});
