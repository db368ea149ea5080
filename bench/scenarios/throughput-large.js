// Throughput on a realistic module size. The throughput scenario's answer.wat is 40 bytes, so compiling it
// costs microseconds and the seed's compile-per-request design cannot show what it costs. Here a generated
// module (bench/lib/big-module.js: 3000 small functions, ~130 KB of code, _start returns 42; written to a
// temp folder at bench time) is served at /exec/big by
//   (b') nano dev, which compiles it once per version;
//   (c') the seed baseline, which compiles + instantiates it from bytes on every request, node started
//        with --no-wasm-native-module-cache-enabled so every request really compiles, as the design says;
//   (c'') the same seed baseline on V8's defaults: V8 keeps a native module cache keyed by the bytes, so
//        "compiling" unchanged bytes again is mostly a hash and a lookup (informational).
// Interleaved rounds (b', c', c'', b', ...); ratios per round, then medians, as in the throughput scenario.
import process from 'node:process';
import { measureInterleaved, perRoundRatio, serverRows } from '../lib/interleaved.js';
import { median } from '../lib/stats.js';
import { startServer } from '../lib/servers.js';
import { ROOT } from '../lib/targets.js';
import { FUNCTIONS, makeBigProject, measureCompile } from '../lib/big-module.js';

export const name = 'throughput-large';
export const description = `req/s, p50, p99 of GET /exec/big (${FUNCTIONS} functions, ~130 KB): nano vs seed baseline`;

const CHECK = { path: '/exec/big', status: 200, body: '42' };
const ORDER = ['nano', 'seed', 'seedCached'];
const SHORT = { nano: "b'", seed: "c'", seedCached: "c''" };

function specs(project) {
  const node = process.execPath;
  const seedArgs = ['bench/seed-baseline.js', '--port', '0', '--host', '127.0.0.1', '--module', project.wasm, '--name', 'big'];
  return {
    nano: {
      key: 'nano-big',
      label: "(b') nano dev, big",
      command: node,
      args: ['dist/bin.js', 'dev', '-c', project.config, '--port', '0', '--host', '127.0.0.1'],
      check: CHECK,
    },
    seed: {
      key: 'seed-big',
      label: "(c') seed baseline, big",
      command: node,
      args: ['--no-wasm-native-module-cache-enabled', ...seedArgs],
      check: CHECK,
    },
    seedCached: {
      key: 'seed-big-cached',
      label: "(c'') seed baseline, big, V8 module cache on",
      command: node,
      args: seedArgs,
      check: CHECK,
    },
  };
}

export async function run(ctx) {
  const project = await makeBigProject();
  const servers = {};
  try {
    const compile = measureCompile(project.bytes);
    const size = `${FUNCTIONS} functions, ${(project.bytes.length / 1024).toFixed(0)} KiB wasm (${(project.watChars / 1024).toFixed(0)} KiB WAT)`;
    ctx.log(
      `${size}; new WebAssembly.Module: ${compile.fresh.toFixed(2)} ms on fresh bytes, ${compile.same.toFixed(3)} ms on the same bytes again`,
    );

    const all = specs(project);
    await Promise.all(
      ORDER.map(async (k) => {
        servers[k] = await startServer({ ...all[k], cwd: ROOT });
      }),
    );
    const url = (k) => servers[k].url('/exec/big');

    // prime: nano's big went cold (cacheTtl 1 s) while the others ran.
    const results = await measureInterleaved(ctx, { order: ORDER, servers, url, prime: true, cpu: true });

    const rows = [
      {
        scenario: name,
        metric: 'new WebAssembly.Module(big), fresh bytes',
        value: compile.fresh,
        unit: 'ms',
        note: `${size}; the same bytes again: ${compile.same.toFixed(3)} ms (V8's native module cache); V8 compiles function bodies lazily, so this is mostly decoding + validation`,
      },
    ];
    rows.push(...serverRows(name, ORDER, servers, results));
    const ratio = (x, y, extra) => {
      const per = perRoundRatio(results, x, y);
      return { scenario: name, metric: `req/s ${SHORT[x]}/${SHORT[y]}`, value: median(per), unit: '×', rounds: per, ...extra };
    };
    rows.push(
      ratio('nano', 'seed', {
        target: { op: '>=', value: 3 },
        note: "issue 3's b/c >= 3, applied to a realistic module: compile once vs compile every request",
      }),
    );
    rows.push(
      ratio('nano', 'seedCached', { note: "informational: the seed design on V8's defaults, its compiles answered by V8's module cache" }),
    );
    return rows;
  } finally {
    for (const k of ORDER) {
      if (!servers[k]) continue;
      const exit = await servers[k].stop();
      if (exit.killed || (exit.code !== 0 && exit.code !== null))
        ctx.note(`${servers[k].label} did not exit cleanly on SIGINT (code ${exit.code})`);
    }
    project.remove();
  }
}
