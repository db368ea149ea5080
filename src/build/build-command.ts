/**
 * A function's `build:` command: the step that turns a language other than
 * WAT into the `.wasm` its `source:` names (`asc assembly/index.ts -o
 * build/index.wasm`, `cargo build ...`). nano runs it in the project folder
 * through the shell, as npm runs scripts, with every `node_modules/.bin` from
 * the project folder up to the root first on PATH, so a compiler installed as
 * a dev dependency (or hoisted to a workspace root) is found by name.
 *
 * The output is captured rather than streamed: a compiler that succeeds has
 * nothing to say to a user of `nano dev`, and one that fails has its last
 * lines quoted in the build error, next to the function they belong to.
 *
 * Stopping: a command runs in a process group of its own, so that stopping it
 * (an aborted build: `nano dev` closing) ends the compiler and whatever it
 * started, not just the shell. Being in its own group, it does not get the
 * terminal's Ctrl-C: while commands run, SIGINT, SIGTERM and SIGHUP are
 * forwarded to them, and if nothing else in nano handles the signal, nano then
 * ends as it would have without the forwarding.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { delimiter, dirname, join } from 'node:path';

/** The tail of a failing command's output kept for the error message. */
const OUTPUT_TAIL_LINES = 30;
/** Output beyond this is dropped from the front while the command runs. */
const OUTPUT_LIMIT_BYTES = 64 * 1024;
/** After SIGTERM, how long a stopped command has before SIGKILL. */
const KILL_GRACE_MS = 2_000;
/** After the shell exits, how long to wait for pipes that a background process it left may hold open. */
const PIPE_GRACE_MS = 1_000;
/** Process groups exist on POSIX; on Windows a command is stopped by its own pid. */
const OWN_GROUP = process.platform !== 'win32';

export interface CommandRun {
  command: string;
  ok: boolean;
  /** How the command ended, in words: `exited with code 2`, `was killed by SIGTERM`, `could not start: ENOENT`. */
  outcome: string;
  /** The last lines of stdout and stderr, interleaved as written. */
  outputTail: string;
  durationMs: number;
}

export interface CommandOptions {
  /** Stops the command (its whole process group) when aborted. */
  signal?: AbortSignal;
}

/** `<dir>/node_modules/.bin` and the same in every folder above it, nearest first: npm's lookup. */
function binFolders(dir: string): string[] {
  const folders: string[] = [];
  for (let at = dir; ; at = dirname(at)) {
    folders.push(join(at, 'node_modules', '.bin'));
    if (dirname(at) === at) return folders;
  }
}

/** The environment with the bin folders in front of PATH, under every spelling of the key (Windows has Path). */
function environmentFor(dir: string, env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const keys = Object.keys(env).filter((key) => key.toUpperCase() === 'PATH');
  const withBins = (current: string | undefined) => [...binFolders(dir), ...(current ? [current] : [])].join(delimiter);
  const result = { ...env };
  for (const key of keys.length > 0 ? keys : ['PATH']) result[key] = withBins(env[key]);
  return result;
}

function tailOf(output: Buffer, dropped: boolean): string {
  const lines = output.toString('utf8').trimEnd().split(/\r?\n/);
  const kept = lines.slice(-OUTPUT_TAIL_LINES);
  const skipped = lines.length - kept.length;
  if (dropped || skipped > 0) kept.unshift(dropped ? '… (earlier output dropped)' : `… (${skipped} earlier lines)`);
  return kept.join('\n');
}

const running = new Set<ChildProcess>();
const FORWARDED = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

function stop(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    if (OWN_GROUP && child.pid !== undefined) process.kill(-child.pid, signal);
    else child.kill(signal);
  } catch {
    // Already gone.
  }
}

function forward(signal: NodeJS.Signals): void {
  for (const child of running) stop(child, signal);
  // Someone else listens (nano dev stops gracefully on Ctrl-C): they decide. Otherwise end as Node would have.
  if (process.listenerCount(signal) === 1) {
    for (const name of FORWARDED) process.off(name, forward);
    forwarding = false;
    process.kill(process.pid, signal);
  }
}

/**
 * Installed with the first command and kept: removed when the last command ends, a listener could miss a
 * signal Node had already taken but not yet delivered, and the signal would be lost.
 */
let forwarding = false;

function track(child: ChildProcess): () => void {
  if (OWN_GROUP && !forwarding) {
    for (const name of FORWARDED) process.on(name, forward);
    forwarding = true;
  }
  running.add(child);
  return () => running.delete(child);
}

export function runBuildCommand(command: string, dir: string, options: CommandOptions = {}): Promise<CommandRun> {
  const started = performance.now();
  const { signal } = options;
  const result = (ok: boolean, outcome: string, outputTail = ''): CommandRun => ({
    command,
    ok,
    outcome,
    outputTail,
    durationMs: performance.now() - started,
  });
  if (signal?.aborted) return Promise.resolve(result(false, 'was not run: the build was stopped'));

  return new Promise((resolve) => {
    let output = Buffer.alloc(0);
    let dropped = false;
    let stopped = false;
    const timers: NodeJS.Timeout[] = [];
    const child = spawn(command, {
      cwd: dir,
      env: environmentFor(dir, process.env),
      shell: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: OWN_GROUP,
    });
    const untrack = track(child);
    const onAbort = () => {
      stopped = true;
      stop(child, 'SIGTERM');
      timers.push(setTimeout(() => stop(child, 'SIGKILL'), KILL_GRACE_MS).unref());
    };
    signal?.addEventListener('abort', onAbort, { once: true });

    let done = false;
    const finish = (ok: boolean, outcome: string) => {
      if (done) return;
      done = true;
      // What ignored the SIGTERM of a stop goes now, rather than outliving the build.
      if (stopped) stop(child, 'SIGKILL');
      untrack();
      signal?.removeEventListener('abort', onAbort);
      timers.forEach(clearTimeout);
      child.stdout.destroy();
      child.stderr.destroy();
      resolve(result(ok, outcome, tailOf(output, dropped)));
    };
    const collect = (chunk: Buffer) => {
      output = Buffer.concat([output, chunk]);
      if (output.length > OUTPUT_LIMIT_BYTES) {
        output = output.subarray(output.length - OUTPUT_LIMIT_BYTES);
        dropped = true;
      }
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);

    const ended = (code: number | null, killedBy: NodeJS.Signals | null) => {
      if (stopped) return finish(false, 'was stopped: the build was aborted');
      if (code === 0) return finish(true, 'exited with code 0');
      finish(false, killedBy ? `was killed by ${killedBy}` : `exited with code ${code}`);
    };
    // 'error': the shell itself could not start. 'close' follows 'exit' once the pipes drain; a background
    // process the command left behind can hold them open, so 'exit' gives them a moment, not forever.
    child.on('error', (error: NodeJS.ErrnoException) => finish(false, `could not start: ${error.code ?? error.message}`));
    child.on('exit', (code, killedBy) => timers.push(setTimeout(() => ended(code, killedBy), PIPE_GRACE_MS).unref()));
    child.on('close', ended);
  });
}
