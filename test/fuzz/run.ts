/**
 * The long fuzz run: `npm run fuzz -- --runs 10000 [--seed 42] [--keep-going] [--only http]`.
 * Runs the suite of test/fuzz with vitest, `--runs` inputs in all shared among
 * the properties by weight (see each property's `share`), then prints the
 * counts per kind. `--keep-going` counts every violation instead of stopping at
 * the first (and shrinking it): how many inputs of each kind break a property.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Counts } from './harness.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '10000' },
    seed: { type: 'string' },
    'keep-going': { type: 'boolean', default: false },
    only: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (values.help) {
  console.log('npm run fuzz -- [--runs 10000] [--seed N] [--keep-going] [--only nano-yml|modules|deploy|http]');
  process.exit(0);
}
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs must be a positive integer, got ${values.runs}`);
const seed = values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(values.seed);
const reportDir = mkdtempSync(join(tmpdir(), 'nano-fuzz-'));
console.log(
  `nano fuzz: ${runs} inputs in all, seed ${seed}${values['keep-going'] ? ', keep going' : ''} (replay: npm run fuzz -- --runs ${runs} --seed ${seed})`,
);

const started = Date.now();
const files = values.only === undefined ? ['test/fuzz'] : [`test/fuzz/${values.only}.test.ts`];
// One file at a time: the machine is shared, and the properties start real servers.
const vitest = spawnSync('npx', ['vitest', 'run', ...files, '--no-file-parallelism'], {
  stdio: 'inherit',
  env: {
    ...process.env,
    NANO_FUZZ_RUNS: String(runs),
    NANO_FUZZ_SEED: String(seed),
    NANO_FUZZ_REPORT: reportDir,
    ...(values['keep-going'] ? { NANO_FUZZ_KEEP_GOING: '1' } : {}),
  },
});

const reports = readdirSync(reportDir).map((file) => JSON.parse(readFileSync(join(reportDir, file), 'utf8')) as Counts);
rmSync(reportDir, { recursive: true, force: true });
const COLUMNS = ['inputs', 'refused', 'accepted', 'crash', 'stackTrace', 'registryChange', 'unanswered', 'other'] as const;
const rows = reports.map((report) => [`${report.kind}: ${report.property}`, ...COLUMNS.map((column) => report[column])]);
const kinds = [...new Set(reports.map((report) => report.kind))];
for (const kind of kinds) {
  rows.push([`${kind} (all)`, ...COLUMNS.map((column) => reports.filter((r) => r.kind === kind).reduce((sum, r) => sum + r[column], 0))]);
}
rows.push(['total', ...COLUMNS.map((column) => reports.reduce((sum, r) => sum + r[column], 0))]);
const header = ['property', 'inputs', 'refusals', 'accepted', 'crashes', 'stack traces', 'registry changes', 'unanswered', 'other'];
const widths = header.map((title, index) => Math.max(title.length, ...rows.map((row) => String(row[index]).length)));
const line = (cells: (string | number)[]) =>
  cells.map((cell, index) => (index === 0 ? String(cell).padEnd(widths[index]!) : String(cell).padStart(widths[index]!))).join('  ');
console.log(`\nnano fuzz: seed ${seed}, ${((Date.now() - started) / 1000).toFixed(0)} s`);
console.log(line(header));
rows.forEach((row) => console.log(line(row)));
for (const report of reports.filter((r) => r.failure !== undefined))
  console.log(`\n✗ ${report.kind}: ${report.property}\n${report.failure}`);
process.exitCode = vitest.status === 0 && reports.every((r) => r.failure === undefined) ? 0 : 1;
