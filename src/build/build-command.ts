/**
 * A function's `build:` command: the step that turns a language other than
 * WAT into the `.wasm` its `source:` names (`asc assembly/index.ts -o
 * build/index.wasm`, `cargo build ...`). nano runs it in the project folder
 * through the shell, as npm runs scripts, with the project's
 * `node_modules/.bin` first on PATH so a compiler installed as a dev
 * dependency is found by name.
 *
 * The output is captured rather than streamed: a compiler that succeeds has
 * nothing to say to a user of `nano dev`, and one that fails has its last
 * lines quoted in the build error, next to the function they belong to.
 */
import { spawn } from 'node:child_process';
import { delimiter, join } from 'node:path';

/** The tail of a failing command's output kept for the error message. */
const OUTPUT_TAIL_LINES = 30;
/** Output beyond this is dropped from the front while the command runs. */
const OUTPUT_LIMIT_BYTES = 64 * 1024;

export interface CommandRun {
  command: string;
  ok: boolean;
  /** How the command ended, in words: `exited with code 2`, `was killed by SIGTERM`, `could not start: ENOENT`. */
  outcome: string;
  /** The last lines of stdout and stderr, interleaved as written. */
  outputTail: string;
  durationMs: number;
}

/** The environment with `<dir>/node_modules/.bin` in front of PATH (whatever its case, as on Windows). */
function environmentFor(dir: string, env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const pathKey = Object.keys(env).find((key) => key.toUpperCase() === 'PATH') ?? 'PATH';
  const bin = join(dir, 'node_modules', '.bin');
  const current = env[pathKey];
  return { ...env, [pathKey]: current ? `${bin}${delimiter}${current}` : bin };
}

function tailOf(output: Buffer): string {
  const lines = output.toString('utf8').trimEnd().split(/\r?\n/);
  const kept = lines.slice(-OUTPUT_TAIL_LINES);
  const skipped = lines.length - kept.length;
  return (skipped > 0 ? [`… (${skipped} earlier lines)`, ...kept] : kept).join('\n');
}

export function runBuildCommand(command: string, dir: string, env: NodeJS.ProcessEnv = process.env): Promise<CommandRun> {
  const started = performance.now();
  return new Promise((resolve) => {
    let output = Buffer.alloc(0);
    const collect = (chunk: Buffer) => {
      output = Buffer.concat([output, chunk]);
      if (output.length > OUTPUT_LIMIT_BYTES) output = output.subarray(output.length - OUTPUT_LIMIT_BYTES);
    };
    const finish = (ok: boolean, outcome: string) =>
      resolve({ command, ok, outcome, outputTail: tailOf(output), durationMs: performance.now() - started });

    const child = spawn(command, { cwd: dir, env: environmentFor(dir, env), shell: true, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    // 'error' means the shell itself could not start; 'close' follows every start, after the pipes drain.
    child.on('error', (error: NodeJS.ErrnoException) => finish(false, `could not start: ${error.code ?? error.message}`));
    child.on('close', (code, signal) => {
      if (code === 0) finish(true, 'exited with code 0');
      else finish(false, signal ? `was killed by ${signal}` : `exited with code ${code}`);
    });
  });
}
