// The common result shape and its two renderings (a text table on stdout, bench/results.md).
//
// A scenario returns rows:
//   { scenario: 'throughput', metric: 'req/s (b) nano', value: 12345, unit: 'req/s',
//     rounds?: [..per-round values..], target?: { op: '>=' | '<=' | '==', value }, note?: '...' }
// `meets` is derived from target; rows without a target are informational.
import { loadGenerator } from './load.js';
import process from 'node:process';
import os from 'node:os';
import { round } from './stats.js';

const LOAD_AT_START = os.loadavg(); // run.js imports this module before anything runs

export function meets(row) {
  if (!row.target) return undefined;
  const { op, value } = row.target;
  if (typeof row.value === 'number' && !Number.isFinite(row.value)) return false;
  if (op === '>=') return row.value >= value;
  if (op === '<=') return row.value <= value;
  if (op === '==') return row.value === value;
  throw new Error(`unknown target op ${op}`);
}

const fmt = (v) => (typeof v === 'number' ? String(round(v)) : String(v));
const fmtRounds = (rounds) => (rounds?.length ? rounds.map(fmt).join(' · ') : '');
const fmtTarget = (t) => (t ? `${t.op} ${fmt(t.value)}` : '');
const fmtMeets = (row) => ({ true: 'yes', false: 'NO', undefined: '' })[String(meets(row))];

function cells(row) {
  return [
    row.scenario,
    row.metric,
    `${fmt(row.value)}${row.unit ? ' ' + row.unit : ''}`,
    fmtTarget(row.target),
    fmtMeets(row),
    fmtRounds(row.rounds),
    row.note ?? '',
  ];
}
const HEAD = ['scenario', 'metric', 'value', 'target', 'meets', 'per round', 'note'];

export function environment(settings) {
  const cpus = os.cpus();
  return {
    date: new Date().toISOString(),
    node: process.version,
    cpus: os.availableParallelism(),
    cpuModel: cpus[0]?.model?.trim() ?? 'unknown',
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
    loadavg: `${LOAD_AT_START[0].toFixed(2)} at the start, ${os.loadavg()[0].toFixed(2)} at the end`,
    settings,
  };
}

export function textTable(rows) {
  const table = [HEAD, ...rows.map(cells)];
  const widths = HEAD.map((_, i) => Math.max(...table.map((r) => r[i].length)));
  const line = (r) =>
    r
      .map((c, i) => c.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  return [line(table[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...table.slice(1).map(line)].join('\n');
}

export function markdown(rows, env, notes = []) {
  const esc = (s) => s.replaceAll('|', '\\|');
  const s = env.settings;
  return [
    '# nano benchmark results',
    '',
    'Written by `npm run bench` (bench/run.js). Do not edit by hand; re-run the bench.',
    '',
    `- date: ${env.date}`,
    `- node: ${env.node}`,
    `- CPUs: ${env.cpus} × ${env.cpuModel} (${env.platform}); 1-min load average ${env.loadavg} (above ~1, other work on the machine skews the numbers)`,
    `- load: its own process; closed loop = ${loadGenerator() === 'wrk' ? 'wrk -t1' : 'autocannon'}, ${s.connections} connections; paced = open loop at a fixed rate (bench/lib/loadgen.js); ${s.duration} s per round, ${s.rounds} interleaved rounds, ${s.warmup} s warmup per server`,
    `- scenarios: ${s.scenarios.join(', ')}`,
    `- values are medians over rounds; ratios are medians of per-round ratios (each round pairs measurements taken seconds apart); ${loadGenerator() === 'wrk' ? "latencies are wrk's (--latency)" : "latencies are exact per-response (hrtime), not the autocannon CLI's whole-ms histogram"}`,
    '',
    `| ${HEAD.join(' | ')} |`,
    `| ${HEAD.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| ${cells(r).map(esc).join(' | ')} |`),
    '',
    ...(notes.length ? ['## Notes', '', ...notes.map((n) => `- ${n}`), ''] : []),
  ].join('\n');
}
