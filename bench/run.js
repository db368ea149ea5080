// `npm run bench` (= npm run build && node bench/run.js): runs the scenarios of bench/scenarios/index.js
// against real servers started as child processes, prints a table and writes bench/results.md.
//
//   node bench/run.js [scenario ...] [--rounds 3] [--duration 5] [--warmup 2] [--connections 32]
//                     [--cold-samples 8] [--idle-ms 1300] [--stuck-inflight 1] [--isolation-rate 1000]
//                     [--functions 10000] [--out bench/results.md]
//
// The machine has few cores and the load generator competes with the server, so absolute numbers drift:
// compare ratios measured in the same run. Every child process is stopped at the end, on error and on Ctrl-C.
import console from 'node:console';
import process from 'node:process';
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { scenarios } from './scenarios/index.js';
import { createContext } from './lib/context.js';
import { installCleanup, stopAll, wasInterrupted } from './lib/processes.js';
import { environment, markdown, meets, textTable } from './lib/report.js';
import { ROOT } from './lib/targets.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    rounds: { type: 'string', default: '3' },
    duration: { type: 'string', default: '5' },
    warmup: { type: 'string', default: '2' },
    connections: { type: 'string', default: '32' },
    'cold-samples': { type: 'string', default: '8' },
    'idle-ms': { type: 'string', default: '1300' },
    'stuck-inflight': { type: 'string', default: '1' },
    'isolation-rate': { type: 'string', default: '1000' },
    functions: { type: 'string', default: '10000' },
    out: { type: 'string', default: 'bench/results.md' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

if (values.help) {
  console.log(
    `usage: node bench/run.js [scenario ...] [options]\nscenarios: ${scenarios.map((s) => `\n  ${s.name.padEnd(18)} ${s.description}`).join('')}`,
  );
  process.exit(0);
}

const int = (key, min, max) => {
  const n = Number(values[key]);
  if (!Number.isInteger(n) || n < min || n > max) {
    console.error(`bench: --${key} must be an integer in [${min}, ${max}], got ${values[key]}`);
    process.exit(2);
  }
  return n;
};
const unknown = positionals.filter((p) => !scenarios.some((s) => s.name === p));
if (unknown.length) {
  console.error(`bench: unknown scenario(s) ${unknown.join(', ')}; known: ${scenarios.map((s) => s.name).join(', ')}`);
  process.exit(2);
}
const selected = positionals.length ? scenarios.filter((s) => positionals.includes(s.name)) : scenarios;

const settings = {
  rounds: int('rounds', 1, 20),
  duration: int('duration', 1, 60),
  warmup: int('warmup', 0, 60),
  connections: int('connections', 1, 1000),
  coldSamples: int('cold-samples', 1, 50),
  idleMs: int('idle-ms', 0, 60_000),
  stuckInflight: int('stuck-inflight', 1, 16),
  isolationRate: int('isolation-rate', 0, 100_000),
  functions: int('functions', 1, 100_000),
  scenarios: selected.map((s) => s.name),
};

process.chdir(ROOT); // targets are started with paths relative to the repository root
installCleanup();

const ctx = createContext(settings);
const rows = [];
const started = Date.now();
let failed = false;
try {
  for (const scenario of selected) {
    process.stderr.write(`bench: ${scenario.name} — ${scenario.description}\n`);
    const t0 = Date.now();
    rows.push(...(await scenario.run(ctx)));
    process.stderr.write(`bench: ${scenario.name} done in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
  }
} catch (err) {
  failed = true;
  if (!wasInterrupted()) process.stderr.write(`bench: failed: ${err.stack ?? err}\n`);
} finally {
  const stopped = await ctx.stopServers();
  for (const { server, exit } of stopped) {
    if (exit.killed || (exit.code !== 0 && exit.code !== null))
      ctx.note(
        `${server.label} did not exit cleanly on SIGINT (code ${exit.code}, signal ${exit.signal}${exit.killed ? ', SIGKILLed after 3 s' : ''})`,
      );
  }
  await stopAll();
}

if (rows.length && !wasInterrupted()) {
  const env = environment(settings);
  console.log(
    `\nnano bench — ${env.date}, node ${env.node}, ${env.cpus} CPUs (${env.cpuModel}), ${((Date.now() - started) / 1000).toFixed(0)} s\n`,
  );
  console.log(textTable(rows));
  for (const n of ctx.notes) console.log(`note: ${n}`);
  if (failed) ctx.note('the run failed part-way; rows above are from the scenarios that completed');
  const out = resolve(ROOT, values.out);
  writeFileSync(out, markdown(rows, env, ctx.notes));
  console.log(`\nwrote ${values.out}`);
  const missed = rows.filter((r) => meets(r) === false).length;
  if (missed) console.log(`${missed} target(s) not met`);
}
process.exit(failed ? 1 : 0);
