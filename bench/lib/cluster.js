// The pieces of a nano cluster for the scale-out scenario, each a child process tracked by processes.js
// (so it is stopped by its PID at the end, on an error and on Ctrl-C):
//   startRedis()        a real redis-server on a free port, its folder a temp dir, no persistence
//   startNanoNode()     `nano server` on port 0: on a shared --registry, or alone on its --data folder
//   startNginx()        the real nginx in front of the nodes, with the shipped deploy/nginx/nano.conf.template
//
// nginx's config is rendered by deploy/nginx/render.js, as the cluster tests render it. bench is plain JS
// and does not import from test/: the Redis start is a copy of test/cluster/redis.ts's, without the
// restart/AOF parts the bench does not need.
import process from 'node:process';
import { chmodSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { setTimeout, clearTimeout } from 'node:timers';
import { hasExited, spawnTracked, stopChild, waitForExit } from './processes.js';
import { request, sleep } from './http.js';
import { processCpuMs, startServer } from './servers.js';
import { ROOT } from './targets.js';
import { renderTemplate, selfContainedConf } from '../../deploy/nginx/render.js';

/** A port that was free a moment ago (bind port 0, read it, close): another process may take it before use. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Retries `start(port)` on a new free port when it failed with "Address already in use". */
async function onFreePort(start) {
  for (let attempt = 0; ; attempt++) {
    try {
      return await start(await freePort());
    } catch (err) {
      if (attempt === 4 || !/Address already in use/i.test(String(err?.message))) throw err;
    }
  }
}

// Temp folders still in use; removed by their owner's stop(), or at exit (Ctrl-C exits before that).
const dirs = new Set();
process.on('exit', () => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function tempDir(prefix) {
  const dir = mkdtempSync(join(tmpdir(), `nano-bench-${prefix}-`));
  dirs.add(dir);
  return dir;
}

function removeDir(dir) {
  rmSync(dir, { recursive: true, force: true });
  dirs.delete(dir);
}

/** PIDs whose parent is `pid` (scans /proc; [] off Linux). nginx's workers are its master's children. */
export function childPids(pid) {
  const out = [];
  let entries;
  try {
    entries = readdirSync('/proc');
  } catch {
    return out;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]); // field #4
      if (ppid === pid) out.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** Waits for `pattern` on the child's stdout/stderr, or rejects when it exits first or after timeoutMs. */
function waitForOutput(child, pattern, timeoutMs, what) {
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what}: no ${pattern} within ${timeoutMs} ms:\n${output}`)), timeoutMs);
    const onData = (chunk) => {
      output += chunk;
      if (pattern.test(output)) {
        clearTimeout(timer);
        resolve(output);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    waitForExit(child).then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited (${code ?? signal}) before it was ready:\n${output}`));
    });
  });
}

/**
 * redis-server on a free port, bound to 127.0.0.1, its folder a fresh temp dir, with no persistence
 * (--save '' --appendonly no). Ready when it prints "Ready to accept connections".
 */
export async function startRedis() {
  const dir = tempDir('redis');
  try {
    return await onFreePort(async (port) => {
      const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no'];
      const child = spawnTracked('redis-server', args);
      try {
        await waitForOutput(child, /Ready to accept connections/, 15_000, `redis-server on port ${port}`);
      } catch (err) {
        await stopChild(child, { graceMs: 1000 });
        throw err;
      }
      return {
        port,
        pid: child.pid,
        url: (prefix) => `redis://127.0.0.1:${port}/0?prefix=${prefix}`,
        cpuMs: () => processCpuMs(child.pid),
        /** Commands Redis has processed since it started (INFO stats), the INFO itself included. */
        commands() {
          const info = execFileSync('redis-cli', ['-h', '127.0.0.1', '-p', String(port), 'INFO', 'stats'], { encoding: 'utf8' });
          const match = /total_commands_processed:(\d+)/.exec(info);
          if (!match) throw new Error(`redis-cli INFO stats: no total_commands_processed in ${info.slice(0, 200)}`);
          return Number(match[1]);
        },
        async stop() {
          const exit = await stopChild(child); // SIGINT: redis shuts down (nothing to save)
          removeDir(dir);
          return exit;
        },
      };
    });
  } catch (err) {
    removeDir(dir);
    throw err;
  }
}

/**
 * One `nano server` node on 127.0.0.1, port 0, draining at once on SIGINT (--drain-delay 0). With
 * `registry` it joins that shared registry as `nodeId` and `--data` is its artifact cache; without, it is
 * a single node on its own file registry in `--data`. Ready when /healthz/ready answers 200.
 */
export async function startNanoNode({ label, registry, nodeId }) {
  const data = tempDir('node');
  const args = ['dist/bin.js', 'server', '--data', data, '--port', '0', '--host', '127.0.0.1', '--drain-delay', '0'];
  if (registry) args.push('--registry', registry, '--node-id', nodeId);
  try {
    const server = await startServer({
      key: `node-${nodeId ?? 'alone'}`,
      label,
      command: process.execPath,
      args,
      cwd: ROOT,
      readyPath: '/healthz/ready',
      // Nothing from the environment decides where the node keeps its registry or whether it wants a token.
      env: { NANO_REGISTRY: undefined, NANO_TOKEN: undefined, NANO_EXEC_TOKEN: undefined },
    });
    return {
      ...server,
      pid: server.child.pid,
      async stop() {
        const exit = await server.stop();
        removeDir(data);
        return exit;
      },
    };
  } catch (err) {
    removeDir(data);
    throw err;
  }
}

/**
 * nginx in the foreground (daemon off) on a free port, the shipped template rendered with one
 * `server host:port max_fails=1 fail_timeout=5s;` line per node origin. Ready when /healthz answers 200
 * through it. cpuMs() is the master's and its workers' CPU.
 */
export async function startNginx(origins) {
  const upstreams = origins.map((origin) => `server ${new URL(origin).host} max_fails=1 fail_timeout=5s;`);
  return onFreePort(async (port) => {
    const dir = tempDir('nginx');
    // mkdtemp makes the folder 0700; run as root, nginx's workers run as `nobody` and must reach the temp
    // folders the master creates (and chowns to them) inside it.
    chmodSync(dir, 0o755);
    writeFileSync(join(dir, 'nano.conf'), renderTemplate(`127.0.0.1:${port}`, upstreams));
    writeFileSync(join(dir, 'nginx.conf'), selfContainedConf(dir, join(dir, 'nano.conf')));
    // -e: the error log before the config is read (else /var/log/nginx/error.log).
    const child = spawnTracked('nginx', ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'error.log')]);
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    let workers = [];
    const stop = async () => {
      // SIGTERM is nginx's fast shutdown: the master stops its workers, then exits. A worker left behind
      // (the master was SIGKILLed) is stopped by its PID.
      const exit = await stopChild(child, { signal: 'SIGTERM', graceMs: 5000 });
      for (const pid of workers) {
        try {
          process.kill(pid, 0);
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      removeDir(dir);
      return exit;
    };
    const url = (path) => `http://127.0.0.1:${port}${path}`;
    for (let attempt = 0; attempt < 200; attempt++) {
      if (hasExited(child)) break;
      try {
        const res = await request(url('/healthz'), { timeoutMs: 2000 });
        if (res.status === 200) {
          workers = childPids(child.pid);
          return {
            label: 'nginx',
            port,
            pid: child.pid,
            url,
            workers: () => workers,
            cpuMs: () => [child.pid, ...workers].reduce((sum, pid) => sum + processCpuMs(pid), 0),
            stop,
          };
        }
      } catch {
        // not listening yet
      }
      await sleep(25);
    }
    const log = (() => {
      try {
        return readFileSync(join(dir, 'error.log'), 'utf8');
      } catch {
        return '';
      }
    })();
    await stop();
    throw new Error(`nginx did not start on port ${port}:\n${output}\n${log}`);
  });
}
