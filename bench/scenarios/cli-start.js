// CLI start-up: how long `nano --version` and `nano deploy --help` take next to a bare `node -e ''` in the
// same run (interleaved samples, so machine load hits all three alike). Commands import their work lazily
// (src/cli/main.ts); an eager import of wabt, ajv or hono at the top of a command shows up here.
import { spawnSync } from 'node:child_process';
import process from 'node:process';
import { median } from '../lib/stats.js';

export const name = 'cli-start';
export const description = 'nano --version and deploy --help vs a bare node process, wall time';

const SAMPLES = 9;

function timed(args) {
  const started = performance.now();
  const run = spawnSync(process.execPath, args, { encoding: 'utf8' });
  const ms = performance.now() - started;
  if (run.status !== 0) throw new Error(`cli-start: node ${args.join(' ')} exited ${run.status}: ${run.stderr.slice(0, 200)}`);
  return ms;
}

export async function run(ctx) {
  const commands = {
    node: ['-e', ''],
    version: ['dist/bin.js', '--version'],
    help: ['dist/bin.js', 'deploy', '--help'],
  };
  const samples = { node: [], version: [], help: [] };
  for (let i = 1; i <= SAMPLES; i++) {
    for (const [key, args] of Object.entries(commands)) samples[key].push(timed(args));
    ctx.log(`sample ${i}/${SAMPLES}: node ${samples.node.at(-1).toFixed(0)} ms, --version ${samples.version.at(-1).toFixed(0)} ms`);
  }
  const ratio = (key) => samples[key].map((ms, i) => ms / samples.node[i]);
  return [
    { scenario: name, metric: "node -e '' (baseline)", value: median(samples.node), unit: 'ms', rounds: samples.node },
    { scenario: name, metric: 'nano --version', value: median(samples.version), unit: 'ms', rounds: samples.version },
    { scenario: name, metric: 'nano deploy --help', value: median(samples.help), unit: 'ms', rounds: samples.help },
    {
      scenario: name,
      metric: '--version / node',
      value: median(ratio('version')),
      unit: '×',
      target: { op: '<=', value: 4 },
      note: 'before the lazy imports (8a85693): 5.9×',
    },
    { scenario: name, metric: 'deploy --help / node', value: median(ratio('help')), unit: '×', target: { op: '<=', value: 4 } },
  ];
}
