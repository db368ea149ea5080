/**
 * f32 and f64 values round-trip exactly, through the argument codec, the
 * executor and the HTTP app: -0 keeps its sign, NaN and ±Infinity are written
 * `NaN`, `Infinity` and `-Infinity` both ways, and an f32 prints as the shortest
 * decimal that reads back as the same f32.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Signature } from '../../src/build/manifest.js';
import { NanoError } from '../../src/errors.js';
import { coerceArgs, createExecutor, parseQueryArgs, renderResults, type Executor } from '../../src/runtime/index.js';
import { removeTempProjects } from '../helpers/project.js';
import { serveExamples, type ServedProject } from '../helpers/serve.js';
import { artifact, wat } from './helpers.js';

const SPECIAL = ['-0', '0', 'NaN', 'Infinity', '-Infinity'];
const identity = (type: 'f32' | 'f64') => `(module (func (export "_start") (param ${type}) (result ${type}) local.get 0))`;

let executor: Executor | undefined;
let served: ServedProject | undefined;

afterEach(async () => {
  await executor?.close();
  await served?.close();
  executor = undefined;
  served = undefined;
  await removeTempProjects();
});

describe('renderResults', () => {
  it('writes -0 with its sign, and NaN and the infinities as they are read', () => {
    expect(renderResults([-0], ['f64'])).toBe('-0');
    expect(renderResults([-0], ['f32'])).toBe('-0');
    expect(renderResults([Number.NaN, Infinity, -Infinity], ['f32', 'f64', 'f64'])).toBe('NaN,Infinity,-Infinity');
  });

  it('writes an f32 as the shortest decimal that reads back as it', () => {
    expect(renderResults([Math.fround(0.1)], ['f32'])).toBe('0.1');
    expect(renderResults([Math.fround(1 / 3)], ['f32'])).toBe('0.33333334');
    expect(renderResults([Math.fround(16777217)], ['f32'])).toBe('16777216');
    expect(renderResults([Math.fround(3.4028234663852886e38)], ['f32'])).toBe('3.4028235e+38');
    expect(renderResults([Math.fround(1e-45)], ['f32'])).toBe('1e-45');
    // The same bits as an f64 are another number, printed in full.
    expect(renderResults([Math.fround(0.1)], ['f64'])).toBe('0.10000000149011612');
  });

  it('reads every f32 it writes back as the same f32 (a sample of bit patterns)', () => {
    const f32 = new Float32Array(1);
    const bits = new Uint32Array(f32.buffer);
    for (let pattern = 0; pattern < 2 ** 32; pattern += 9_999_991) {
      bits[0] = pattern;
      const value = f32[0]!;
      const [back] = coerceArgs('f', { params: ['f32'], results: [] }, [renderResults([value], ['f32'])]);
      expect(Object.is(Math.fround(back as number), value) || Number.isNaN(value)).toBe(true);
    }
  });
});

describe('float arguments', () => {
  const sig: Signature = { params: ['f32', 'f64'], results: [] };

  it('take -0, NaN, Infinity and -Infinity as text, and -0 keeps its sign', () => {
    const [f32, f64] = parseQueryArgs('f', sig, '-0,-0');
    expect(Object.is(f32, -0) && Object.is(f64, -0)).toBe(true);
    expect(parseQueryArgs('f', sig, 'NaN,Infinity')).toEqual([Number.NaN, Infinity]);
    expect(parseQueryArgs('f', sig, '-Infinity,%2DInfinity')).toEqual([-Infinity, -Infinity]);
  });

  it('refuse a decimal beyond the type rather than make it Infinity', () => {
    const refused = (query: string) => {
      try {
        parseQueryArgs('f', sig, query);
      } catch (error) {
        expect(error).toBeInstanceOf(NanoError);
        return (error as NanoError).message;
      }
      throw new Error(`${query} was accepted`);
    };
    expect(refused('0,1e400')).toBe(
      'f argument 2 must be an f64 (a finite number of the type, Infinity, -Infinity or NaN), got "1e400": f(f32, f64)',
    );
    expect(refused('1e39,0')).toMatch(/^f argument 1 must be an f32 .*, got "1e39"/);
    // Rounding toward zero is only rounding: accepted.
    expect(parseQueryArgs('f', sig, '1e-50,1e-400')).toEqual([1e-50, 0]);
  });
});

describe('through the executor', () => {
  it.each(['f32', 'f64'] as const)('round-trips the special %s values as text', async (type) => {
    executor = createExecutor({ poolSize: 1 });
    await executor.deploy(artifact('id', { params: [type], results: [type] }), wat(identity(type)), 1);
    for (const text of SPECIAL) expect((await executor.invoke('id', [text])).value).toBe(text);
    expect((await executor.invoke('id', [-0])).value).toBe('-0');
    expect((await executor.invoke('id', ['0.1'])).value).toBe('0.1');
  });

  it('keeps the sign of a zero the function computes', async () => {
    executor = createExecutor({ poolSize: 1 });
    const div = '(module (func (export "_start") (param f64 f64) (result f64 f32) local.get 0 local.get 1 f64.div f32.const -0))';
    await executor.deploy(artifact('fdiv', { params: ['f64', 'f64'], results: ['f64', 'f32'] }), wat(div), 1);
    expect((await executor.invoke('fdiv', ['-0', 1])).value).toBe('-0,-0');
    expect((await executor.invoke('fdiv', [1, '-Infinity'])).value).toBe('-0,-0');
  });
});

describe('through the HTTP app', () => {
  it('answers /exec/fdiv?-0,1 with -0, and NaN and the infinities as written', async () => {
    served = await serveExamples({
      'nano.yml': 'service: demo\nfunctions:\n  fdiv: { source: functions/fdiv.wat }\n  neg32: { source: functions/neg32.wat }\n',
      'functions/fdiv.wat': '(module (func (export "_start") (param f64 f64) (result f64) local.get 0 local.get 1 f64.div))',
      'functions/neg32.wat': '(module (func (export "_start") (param f32) (result f32) local.get 0 f32.neg))',
    });
    const text = async (path: string) => (await served!.app.request(path)).text();
    expect(await text('/exec/fdiv?-0,1')).toBe('-0');
    expect(await text('/exec/fdiv?1,-0')).toBe('-Infinity');
    expect(await text('/exec/fdiv?0,0')).toBe('NaN');
    expect(await text('/exec/fdiv?Infinity,1')).toBe('Infinity');
    expect(await text('/exec/neg32?0')).toBe('-0');
    expect(await text('/exec/neg32?-0.1')).toBe('0.1');
    expect(await text('/exec/neg32?-Infinity')).toBe('Infinity');
  });
});
