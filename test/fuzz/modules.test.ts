/**
 * Fuzz kind 2, module bytes and WAT, in-process. Properties: `checkModule`
 * accepts or lists errors and never throws; a module it accepts deploys on the
 * runtime and every invocation ends in a result or a coded NanoError
 * (BadArguments, FunctionTrapped, FunctionTimeout, …), never anything else; a
 * known-good function still answers after every input. `compileWat` returns
 * bytes or located problems and never throws, and a known-good WAT still
 * compiles (to the same bytes) after every input. One executor for the file,
 * one worker, 100 ms timeouts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkModule, compileWat, sha256, type FunctionArtifact, type Limits } from '../../src/build/index.js';
import { isNanoError, type ErrorCode } from '../../src/errors.js';
import { createExecutor, type Executor } from '../../src/runtime/index.js';
import { ANSWER_WAT } from '../helpers/wat.js';
import { describeError, fuzz, FUZZ_TIMEOUT_MS, STACK_LINE, violation, type Verdict } from './harness.js';
import { BASE_MODULES, moduleCase, watText, type BaseModule, type ModuleCase } from './wasm-gen.js';

/** What an invocation may end in besides a result. */
const INVOKE_CODES: readonly ErrorCode[] = [
  'BadArguments',
  'FunctionTrapped',
  'FunctionTimeout',
  'ConcurrencyLimit',
  'Overloaded',
  'PayloadTooLarge',
  'BadResponse',
];

let executor: Executor;
let bases: (BaseModule & { bytes: Uint8Array })[];
let goodBytes: Uint8Array;
let version = 0;

async function compiled(file: string, wat: string): Promise<Uint8Array> {
  const result = await compileWat(file, wat);
  if (!('bytes' in result)) throw new Error(`${file} does not compile: ${JSON.stringify(result.problems)}`);
  return result.bytes;
}

function artifactOf(
  name: string,
  bytes: Uint8Array,
  c: { entry: string; abi: ModuleCase['abi'] },
  limits: Limits,
  info: NonNullable<ReturnType<typeof checkModule> & { ok: true }>['info'],
): FunctionArtifact {
  return {
    name,
    artifact: `${name}.wasm`,
    sha256: sha256(bytes),
    size: bytes.length,
    source: `functions/${name}.wasm`,
    inputHash: '',
    entry: c.entry,
    signature: info.signature,
    imports: info.imports,
    memory: info.memory,
    limits,
    routes: [],
    ...(c.abi === 'wagi' ? { abi: 'wagi' as const } : {}),
  };
}

beforeAll(async () => {
  executor = createExecutor({ poolSize: 1 });
  bases = await Promise.all(BASE_MODULES.map(async (base) => ({ ...base, bytes: await compiled(`${base.label}.wat`, base.wat) })));
  goodBytes = await compiled('answer.wat', ANSWER_WAT);
  const limits: Limits = { memoryPages: 1, timeoutMs: 1000, cacheTtlMs: 60_000, concurrency: null };
  const check = checkModule(goodBytes, { name: 'good', entry: '_start', limits });
  if (!check.ok) throw new Error(check.errors.join('\n'));
  await executor.deploy(artifactOf('good', check.info.bytes, { entry: '_start', abi: 'args' }, limits, check.info), check.info.bytes, 1);
});
afterAll(() => executor?.close());

async function stillAnswers(): Promise<void> {
  try {
    const result = await executor.invoke('good', []);
    if (result.value !== '42') violation('crash', `the good function answered ${result.value}`);
  } catch (error) {
    violation('crash', `the good function failed after this input: ${describeError(error)}`);
  }
}

function checkInvokeError(error: unknown, what: string): void {
  if (!isNanoError(error)) violation('crash', `${what} threw ${describeError(error)}`);
  if (STACK_LINE.test(error.message)) violation('stackTrace', `${what}: ${error.message}`);
  if (!INVOKE_CODES.includes(error.code)) violation('other', `${what} failed with ${error.code}: ${error.message}`);
}

async function checkAndRun(c: ModuleCase): Promise<Verdict> {
  let bytes = c.bytes;
  if (c.wat !== undefined) {
    const result = await compileWat('host-call.wat', c.wat);
    if (!('bytes' in result))
      return violation('other', `a generated host-call module does not compile: ${JSON.stringify(result.problems)}`);
    bytes = result.bytes;
  }
  const limits: Limits = { memoryPages: c.memoryPages, timeoutMs: 100, cacheTtlMs: 60_000, concurrency: null };
  let check: ReturnType<typeof checkModule>;
  try {
    check = checkModule(bytes!, { name: 'fz', entry: c.entry, limits, abi: c.abi });
  } catch (error) {
    return violation('crash', `checkModule threw ${describeError(error)}`);
  }
  if (!check.ok) {
    if (check.errors.length === 0) violation('other', 'checkModule refused without saying why');
    return 'refused';
  }
  const { info } = check;
  try {
    await executor.deploy(artifactOf('fz', info.bytes, c, limits, info), info.bytes, ++version);
  } catch (error) {
    return violation(isNanoError(error) ? 'other' : 'crash', `checkModule accepted it, the runtime refused it: ${describeError(error)}`);
  }
  try {
    if (c.abi === 'wagi') {
      await executor.invokeWagi('fz', {
        args: ['/fz', ...c.args.map(String)],
        env: { REQUEST_METHOD: 'POST' },
        body: new TextEncoder().encode(c.args.join(',')),
      });
    } else {
      const args = c.fitArgs ? info.signature.params.map((_, index) => c.args[index] ?? 1) : c.args;
      await executor.invoke('fz', args);
    }
  } catch (error) {
    checkInvokeError(error, 'the invocation');
  }
  await stillAnswers();
  return 'accepted';
}

describe('fuzz: module bytes', () => {
  it(
    'checkModule accepts or refuses, and the runtime runs what it accepts',
    async () => {
      const counts = await fuzz(
        { kind: 'module', property: 'checkModule + runtime', bounded: 80, share: 0.25 },
        moduleCase(bases),
        checkAndRun,
      );
      expect(counts.crash + counts.stackTrace + counts.other).toBe(0);
    },
    FUZZ_TIMEOUT_MS,
  );
});

describe('fuzz: WAT text', () => {
  it(
    'compileWat returns bytes or problems, and a good WAT compiles afterwards',
    async () => {
      const counts = await fuzz(
        {
          kind: 'module',
          property: 'compileWat',
          bounded: 40,
          share: 0.08,
          // Found before: 150 nested blocks leave wabt unable to compile anything afterwards.
          examples: [`(module (func (export "_start") (result i32) ${'(block '.repeat(150)} i32.const 1 ${')'.repeat(150)}))`],
        },
        watText,
        async (text) => {
          let result: Awaited<ReturnType<typeof compileWat>>;
          try {
            result = await compileWat('fuzz.wat', text);
          } catch (error) {
            return violation('crash', `compileWat threw ${describeError(error)}`);
          }
          if ('problems' in result) {
            if (result.problems.length === 0 || result.problems.some((problem) => problem.file !== 'fuzz.wat' || !problem.message)) {
              violation('other', `problems without a file or message: ${JSON.stringify(result.problems).slice(0, 500)}`);
            }
          } else {
            try {
              checkModule(result.bytes, {
                name: 'fz',
                entry: '_start',
                limits: { memoryPages: 1, timeoutMs: 100, cacheTtlMs: 1000, concurrency: null },
              });
            } catch (error) {
              violation('crash', `checkModule threw on wabt's output: ${describeError(error)}`);
            }
          }
          let after: Awaited<ReturnType<typeof compileWat>>;
          try {
            after = await compileWat('answer.wat', ANSWER_WAT);
          } catch (error) {
            return violation('crash', `a good WAT no longer compiles after this input: ${describeError(error)}`);
          }
          if (!('bytes' in after) || Buffer.compare(after.bytes, goodBytes) !== 0) {
            violation(
              'crash',
              `a good WAT no longer compiles the same after this input: ${JSON.stringify('problems' in after ? after.problems : 'other bytes').slice(0, 500)}`,
            );
          }
          return 'problems' in result ? 'refused' : 'accepted';
        },
      );
      expect(counts.crash + counts.stackTrace + counts.other).toBe(0);
    },
    FUZZ_TIMEOUT_MS,
  );
});
