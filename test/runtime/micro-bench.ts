/**
 * Micro-benchmark of the main↔worker hop (not a test; vitest ignores it):
 * invocations/s of `answer` (returns 42) through the executor, with 1, 16 and
 * 128 calls kept in flight, against the same work done directly in-process.
 *
 *   npx tsx test/runtime/micro-bench.ts            # from the TypeScript sources
 *   npm run build && npx tsx test/runtime/micro-bench.ts --dist   # from dist/
 *
 * BENCH_SECONDS (default 2) sets the length of each run, POOL the pool size.
 */
import wabtInit from 'wabt';
import type { FunctionArtifact } from '../../src/build/manifest.js';
import type * as Runtime from '../../src/runtime/index.js';

const seconds = Number(process.env.BENCH_SECONDS ?? 2);
const runtime = (
  process.argv.includes('--dist')
    ? await import(new URL('../../dist/runtime/index.js', import.meta.url).href)
    : await import('../../src/runtime/index.js')
) as typeof Runtime;

const wabt = await wabtInit();
const parsed = wabt.parseWat('answer.wat', '(module (func (export "_start") (result i32) i32.const 42))', {});
const bytes = new Uint8Array(parsed.toBinary({}).buffer);
parsed.destroy();

const artifact: FunctionArtifact = {
  name: 'answer',
  artifact: 'answer.wasm',
  sha256: '',
  size: bytes.length,
  source: 'answer.wat',
  inputHash: '',
  entry: '_start',
  signature: { params: [], results: ['i32'] },
  imports: [],
  memory: null,
  limits: { memoryPages: 1, timeoutMs: 5000, cacheTtlMs: 60_000, concurrency: null },
  routes: [],
};

function rate(count: number, ms: number): string {
  return `${Math.round((count * 1000) / ms).toLocaleString('en-US')}/s`;
}

function direct(fresh: boolean): string {
  const module = new WebAssembly.Module(bytes);
  const imports = { platform: { now: () => Date.now() } };
  const warm = new WebAssembly.Instance(module, imports).exports._start as () => number;
  const end = performance.now() + seconds * 1000;
  let count = 0;
  const start = performance.now();
  while (performance.now() < end) {
    for (let i = 0; i < 1000; i++) {
      if (fresh) (new WebAssembly.Instance(module, imports).exports._start as () => number)();
      else warm();
    }
    count += 1000;
  }
  return rate(count, performance.now() - start);
}

async function throughExecutor(executor: Runtime.Executor, inFlight: number): Promise<string> {
  const end = performance.now() + seconds * 1000;
  let count = 0;
  const start = performance.now();
  async function lane(): Promise<void> {
    while (performance.now() < end) {
      await executor.invoke('answer');
      count++;
    }
  }
  await Promise.all(Array.from({ length: inFlight }, lane));
  return rate(count, performance.now() - start);
}

const rows: [string, string][] = [];
rows.push(['direct call, one warm instance', direct(false)]);
rows.push(['direct, fresh instance per call', direct(true)]);
const executor = runtime.createExecutor(process.env.POOL ? { poolSize: Number(process.env.POOL) } : {});
await executor.deploy(artifact, bytes, 1);
await executor.invoke('answer');
await throughExecutor(executor, 16); // warm-up: JIT, worker boot
for (const inFlight of [1, 16, 128]) rows.push([`executor, ${inFlight} in flight`, await throughExecutor(executor, inFlight)]);
await executor.close();
const width = Math.max(...rows.map(([label]) => label.length));
for (const [label, value] of rows) process.stdout.write(`${label.padEnd(width)}  ${value}\n`);
