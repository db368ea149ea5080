/**
 * nano.yml and the deploy API apply one definition of each limit's bounds (LIMIT_BOUNDS) and of the
 * reserved route prefixes: every value nano.yml accepts at a bound deploys, and one step beyond is
 * refused by both. The schema restates the numbers for editors; it must say the same.
 */
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { LIMIT_BOUNDS, RESERVED_PREFIXES, ROUTE_PATH_PATTERN, formatDuration, resolveConfig, type Limits } from '../../src/config/index.js';
import { NanoError, ProblemsError } from '../../src/errors.js';
import { parseDeployRequest } from '../../src/server/deploy-request.js';
import { removeTempProjects, tempProject, yml } from '../helpers/project.js';
import { SUM_WAT } from '../helpers/wat.js';

afterEach(removeTempProjects);

interface Bounded {
  minimum: number;
  maximum: number;
}
const schema = JSON.parse(readFileSync(new URL('../../schema/nano.schema.json', import.meta.url), 'utf8')) as {
  definitions: { memory: Bounded; concurrency: Bounded; route: { properties: { path: { pattern: string } } } };
};

/** nano.yml's key for each limit, and how a value in ms or pages is written there (both ways for durations). */
const KEYS = { memoryPages: 'memory', timeoutMs: 'timeout', cacheTtlMs: 'cacheTtl', concurrency: 'concurrency' } as const;
type Key = keyof typeof KEYS;
const writings = (key: Key, value: number): string[] =>
  key === 'timeoutMs' || key === 'cacheTtlMs' ? [String(value), JSON.stringify(formatDuration(value))] : [String(value)];

async function resolveLimit(key: Key, written: string): Promise<Limits> {
  const yaml = yml('service: demo', 'functions:', '  sum:', '    source: functions/sum.wat', `    ${KEYS[key]}: ${written}`);
  const dir = await tempProject({ 'nano.yml': yaml, 'functions/sum.wat': SUM_WAT });
  const config = await resolveConfig('nano.yml', { cwd: dir, env: {} });
  return config.functions[0]!.limits;
}

function deployRequest(limits: Limits, routes: { method: 'GET'; path: string }[] = []) {
  return {
    service: 'demo',
    stage: 'dev',
    prune: false,
    functions: [{ name: 'sum', sha256: 'a'.repeat(64), size: 10, entry: '_start', limits, routes }],
  };
}

const VALID_LIMITS: Limits = { memoryPages: 1, timeoutMs: 5000, cacheTtlMs: 60_000, concurrency: null };

describe('limit bounds', () => {
  it('the schema states the bounds of memory and concurrency as LIMIT_BOUNDS does', () => {
    expect([schema.definitions.memory.minimum, schema.definitions.memory.maximum]).toEqual([
      LIMIT_BOUNDS.memoryPages.min,
      LIMIT_BOUNDS.memoryPages.max,
    ]);
    expect([schema.definitions.concurrency.minimum, schema.definitions.concurrency.maximum]).toEqual([
      LIMIT_BOUNDS.concurrency.min,
      LIMIT_BOUNDS.concurrency.max,
    ]);
  });

  describe.each(Object.keys(KEYS) as Key[])('%s', (key) => {
    const { min, max } = LIMIT_BOUNDS[key];

    it.each([min, max])('at the bound %i: resolves from nano.yml and deploys', async (bound) => {
      for (const written of writings(key, bound)) {
        const limits = await resolveLimit(key, written);
        expect(limits[key]).toBe(bound);
        expect(() => parseDeployRequest(deployRequest(limits))).not.toThrow();
      }
    });

    it.each([min - 1, max + 1])('beyond, at %i: refused by nano.yml and by the deploy API', async (beyond) => {
      // 0 ms has no string form; "0" and 0 are refused alike.
      for (const written of beyond > 0 ? writings(key, beyond) : ['0', '"0"']) {
        await expect(resolveLimit(key, written)).rejects.toBeInstanceOf(ProblemsError);
      }
      const request = deployRequest({ ...VALID_LIMITS, [key]: beyond });
      expect(() => parseDeployRequest(request)).toThrow(/the deploy request is invalid: \/functions\/0\/limits/);
    });
  });

  it.each(RESERVED_PREFIXES.flatMap((prefix) => [prefix, `${prefix}/x`]))(
    'a route at %s is refused by nano.yml and by the deploy API',
    async (path) => {
      const yaml = yml('service: demo', 'functions:', '  sum:', '    source: functions/sum.wat', `    http: { path: ${path} }`);
      const dir = await tempProject({ 'nano.yml': yaml, 'functions/sum.wat': SUM_WAT });
      await expect(resolveConfig('nano.yml', { cwd: dir, env: {} })).rejects.toThrow(/is reserved by the platform/);
      const refused = (() => {
        try {
          parseDeployRequest(deployRequest(VALID_LIMITS, [{ method: 'GET', path }]));
          return undefined;
        } catch (error) {
          return error;
        }
      })();
      expect(refused).toBeInstanceOf(NanoError);
      expect((refused as NanoError).message).toBe(`route "${path}" of "sum" is reserved by the platform (${path.replace(/\/x$/, '')})`);
    },
  );

  it('a route path nano.yml accepts is one the deploy API accepts, once its trailing slash is dropped', () => {
    const yamlAccepts = (path: string) => new RegExp(schema.definitions.route.properties.path.pattern, 'u').test(path);
    const deployAccepts = (path: string) => new RegExp(ROUTE_PATH_PATTERN, 'u').test(path);
    const samples = [
      '/',
      '/sum',
      '/sum/',
      '/api/items',
      '/api/items/*',
      '/*',
      '/a.b~c_d-e',
      '//',
      '/sum//',
      'sum',
      '/a b',
      '/api/*/x',
      '/é',
    ];
    for (const path of samples) {
      // What nano.yml accepts deploys as resolved; what it refuses, the deploy API refuses as sent.
      const resolved = path.length > 1 ? path.replace(/\/+$/, '') : path;
      expect([path, yamlAccepts(path) ? deployAccepts(resolved) : deployAccepts(path)]).toEqual([path, yamlAccepts(path)]);
    }
  });

  it('/healthz/nodes, which the control plane serves, is reserved', async () => {
    expect(() => parseDeployRequest(deployRequest(VALID_LIMITS, [{ method: 'GET', path: '/healthz/nodes' }]))).toThrow(
      'route "/healthz/nodes" of "sum" is reserved by the platform (/healthz)',
    );
  });
});
