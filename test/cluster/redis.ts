/**
 * A real `redis-server` for the tests: on a free port, its files (and its AOF, when asked) in a temp
 * folder, in the foreground as a child stopped by its PID. `restart()` starts it again on the same
 * port and folder, as a crashed Redis comes back on its append-only file. A start that fails with
 * "Address already in use" (the port was taken after it was found free) is retried on a new port.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { setTimeout as delay } from 'node:timers/promises';
import { accepts, freePort } from '../helpers/ports.js';
import { tempProject } from '../helpers/project.js';

/** Why the Redis tests cannot run here, or undefined when they can. */
export function missingRedis(): string | undefined {
  const found = spawnSync('redis-server', ['--version'], { stdio: 'ignore' });
  return found.error === undefined ? undefined : 'the `redis-server` binary is not on PATH (apt-get install redis-server; .ci/run does)';
}

export interface RunningRedis {
  port: number;
  dir: string;
  /** A registry URL for it, with a prefix of its own unless one is given. */
  url(prefix?: string): string;
  /** redis-cli against it; its output. */
  cli(...args: string[]): string;
  pid(): number;
  /** SIGKILL, as a crash: nothing is flushed but what the AOF already holds. */
  kill(): Promise<void>;
  /** Starts it again on the same port and folder. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

const running = new Set<RunningRedis>();
let prefixes = 0;

export async function startRedis(options: { appendOnly?: boolean } = {}): Promise<RunningRedis> {
  const dir = await tempProject();
  const args = (port: number) => [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--dir',
    dir,
    '--save',
    '',
    '--appendonly',
    options.appendOnly ? 'yes' : 'no',
    '--appendfsync',
    'always',
  ];
  let child: ChildProcess | undefined;
  let port = 0;
  const launch = async (): Promise<void> => {
    let output = '';
    child = spawn('redis-server', args(port), { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    for (let tries = 0; tries < 400; tries++) {
      if (child.exitCode !== null || child.signalCode !== null) break;
      // Accepting connections is not enough after a restart: it answers LOADING while it reads its AOF.
      if ((await accepts(port)) && cli('PING').trim() === 'PONG') return;
      await delay(25);
    }
    child.kill('SIGKILL');
    throw new Error(`redis-server did not start on port ${port}:\n${output}`);
  };
  const cli = (...command: string[]) => spawnSync('redis-cli', ['-p', String(port), ...command], { encoding: 'utf8' }).stdout;
  const kill = async () => {
    const current = child;
    if (!current || current.exitCode !== null || current.signalCode !== null) return;
    const exited = new Promise((resolve) => current.once('exit', resolve));
    current.kill('SIGKILL');
    await exited;
  };
  for (let attempt = 0; ; attempt++) {
    port = await freePort();
    try {
      await launch();
      break;
    } catch (error) {
      if (attempt === 4 || !/Address already in use/.test(String(error))) throw error;
    }
  }
  const redis: RunningRedis = {
    port,
    dir,
    url: (prefix) => `redis://127.0.0.1:${port}/0?prefix=${prefix ?? `t${process.pid}-${++prefixes}`}`,
    cli,
    pid: () => child!.pid!,
    kill,
    restart: launch,
    stop: async () => {
      running.delete(redis);
      await kill();
    },
  };
  running.add(redis);
  return redis;
}

/** Stops every redis-server a test started (call from afterEach or afterAll). */
export async function stopAllRedis(): Promise<void> {
  await Promise.all([...running].map((redis) => redis.stop()));
}
