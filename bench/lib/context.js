// The context every scenario receives: settings, lazily started servers (shared between scenarios, stopped
// at the end), the load generator, a one-off request helper and a place for notes.
import process from 'node:process';
import { startServer } from './servers.js';
import { targets } from './targets.js';
import { runLoad } from './load.js';
import { keepAliveAgent, request } from './http.js';

export function createContext(settings) {
  const servers = new Map(); // key -> Promise<server>
  const agent = keepAliveAgent(4);
  const notes = [];
  return {
    settings,
    notes,
    note: (text) => notes.push(text),
    log: (text) => process.stderr.write(`  ${text}\n`),
    /** Start (once) and return the server `key` of targets.js. */
    server(key) {
      if (!targets[key]) throw new Error(`no bench target "${key}"`);
      if (!servers.has(key)) servers.set(key, startServer(targets[key]()));
      return servers.get(key);
    },
    /** One load-generator run; defaults to the settings' connections and round duration. */
    load: (spec) => runLoad({ connections: settings.connections, durationS: settings.duration, ...spec }),
    /** One request on the context's keep-alive agent. */
    request: (url, options = {}) => request(url, { agent, ...options }),
    /** A few sequential requests so caches are warm before a round; each must answer `status`. */
    async prime(url, { n = 20, status = 200 } = {}) {
      for (let i = 0; i < n; i++) {
        const res = await request(url, { agent });
        if (res.status !== status) throw new Error(`priming ${url}: got ${res.status} ${res.body.slice(0, 200)}, expected ${status}`);
      }
    },
    async stopServers() {
      const started = await Promise.allSettled(servers.values());
      const stopped = await Promise.all(
        started.filter((s) => s.status === 'fulfilled').map(async ({ value }) => ({ server: value, exit: await value.stop() })),
      );
      agent.destroy();
      return stopped;
    },
  };
}
