// Child processes of the bench: every one is tracked here, so all of them are stopped at the end, on an
// error and on Ctrl-C (SIGINT/SIGTERM). Stopping sends SIGINT first (nano exits 0 on it), then SIGKILL
// after a grace period.
import process from 'node:process';
import { setTimeout, clearTimeout } from 'node:timers';
import { spawn } from 'node:child_process';

const children = new Set();

/** spawn() with stdout/stderr piped, tracked until it exits. */
export function spawnTracked(command, args, options = {}) {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
  children.add(child);
  child.once('exit', () => children.delete(child));
  child.once('error', () => children.delete(child));
  return child;
}

export function hasExited(child) {
  return child.exitCode !== null || child.signalCode !== null;
}

/** Resolves with { code, signal } once the child has exited (at once if it already has). */
export function waitForExit(child) {
  if (hasExited(child)) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

/** SIGINT (or `signal`), then SIGKILL if it is still alive after graceMs. Resolves with how it exited. */
export async function stopChild(child, { signal = 'SIGINT', graceMs = 3000 } = {}) {
  if (hasExited(child)) return { code: child.exitCode, signal: child.signalCode, killed: false };
  const exited = waitForExit(child);
  child.kill(signal);
  let timer;
  const timedOut = new Promise((resolve) => {
    timer = setTimeout(() => resolve('timeout'), graceMs);
  });
  const first = await Promise.race([exited, timedOut]);
  clearTimeout(timer);
  if (first !== 'timeout') return { ...first, killed: false };
  child.kill('SIGKILL');
  return { ...(await exited), killed: true };
}

export async function stopAll() {
  await Promise.all([...children].map((child) => stopChild(child)));
}

let installed = false;
let interrupted = false;

/** True once SIGINT/SIGTERM arrived: errors after that are consequences of stopping, not findings. */
export const wasInterrupted = () => interrupted;

/** Stop every child on SIGINT/SIGTERM (then exit 130/143) and SIGKILL stragglers when the process exits. */
export function installCleanup() {
  if (installed) return;
  installed = true;
  const onSignal = (signal, code) => {
    interrupted = true;
    process.stderr.write(`\nbench: ${signal}, stopping ${children.size} child process(es)\n`);
    stopAll().finally(() => process.exit(code));
  };
  process.once('SIGINT', () => onSignal('SIGINT', 130));
  process.once('SIGTERM', () => onSignal('SIGTERM', 143));
  process.on('exit', () => {
    for (const child of children) if (!hasExited(child)) child.kill('SIGKILL');
  });
}

/**
 * Runs a child to its end with its output collected, for at most `limitMs` (a run far beyond its
 * planned duration is a hang: it is stopped and reported). Resolves with stdout on exit code 0.
 * @param {import('node:child_process').ChildProcess} child
 * @param {number} limitMs
 * @param {string} what  named in the errors
 */
export async function collectBounded(child, limitMs, what) {
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  let timer;
  const overrun = new Promise((resolve) => {
    timer = setTimeout(() => resolve('overrun'), limitMs);
  });
  const outcome = await Promise.race([waitForExit(child), overrun]);
  clearTimeout(timer);
  if (outcome === 'overrun') {
    await stopChild(child, { graceMs: 1000 });
    throw new Error(`${what} did not finish within ${limitMs} ms`);
  }
  if (outcome.code !== 0) throw new Error(`${what} failed (${outcome.code ?? outcome.signal}): ${stderr.trim()}`);
  return stdout;
}
