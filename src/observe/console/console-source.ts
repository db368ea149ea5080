/**
 * What the console shows, asked the same way of `nano dev` and `nano server`: the functions that serve
 * (the executor's view, identical in both), their logs, and — on a platform only — their versions and a
 * rollback. The console's routes never branch on the mode beyond what this says it can do.
 */
import { functionNotFound } from '../../errors.js';
import type { Abi, Limits, Route } from '../../build/index.js';
import type { Executor } from '../../runtime/index.js';
import type { InvocationLog, LogEntry, Platform, RollbackDone, VersionList } from '../../server/index.js';

export type ConsoleMode = 'dev' | 'server';

export interface ConsoleFunction {
  name: string;
  version: number;
  abi: Abi;
  limits: Limits;
  routes: Route[];
  /** Set when the platform holds the function but the runtime refused its current version. */
  unavailable?: string;
}

export interface ConsoleLogs {
  list(name: string, options: { limit: number }): Promise<LogEntry[]>;
  subscribe(name: string, listener: (entry: LogEntry) => void): () => void;
}

export interface ConsoleSource {
  mode: ConsoleMode;
  /** This node's name and the registry revision it serves (`nano server`). */
  node?: { id: string; revision: number };
  functions(): ConsoleFunction[];
  /** The function, or FunctionNotFound (404). */
  get(name: string): ConsoleFunction;
  logs: ConsoleLogs;
  /** A platform's versions and rollback; absent in `nano dev`, whose versions are the builds of this session. */
  platform?: {
    versions(name: string): VersionList;
    rollback(name: string, to: number | undefined): Promise<RollbackDone>;
  };
}

const HINT = 'the console lists the functions that serve';

function fromExecutor(executor: Executor): Pick<ConsoleSource, 'functions' | 'get'> {
  const shown = (name: string): ConsoleFunction | undefined => {
    const info = executor.info(name);
    return info && { name: info.name, version: info.version, abi: info.abi, limits: info.limits, routes: info.routes };
  };
  return {
    functions: () =>
      executor
        .list()
        .map((info) => ({ name: info.name, version: info.version, abi: info.abi, limits: info.limits, routes: info.routes }))
        .sort((a, b) => a.name.localeCompare(b.name)),
    get: (name) => {
      const fn = shown(name);
      if (!fn) throw functionNotFound(name, { hint: HINT });
      return fn;
    },
  };
}

export function devSource(executor: Executor, logs: InvocationLog): ConsoleSource {
  return { mode: 'dev', ...fromExecutor(executor), logs };
}

export function platformSource(platform: Platform, executor: Executor): ConsoleSource {
  const serving = fromExecutor(executor);
  /** Functions the registry holds but the runtime refused: listed, marked, and never invocable. */
  const unavailable = (): ConsoleFunction[] =>
    platform.unavailableList().flatMap(({ name, reason }) => {
      try {
        const summary = platform.summary(name);
        return [
          {
            name,
            version: summary.version,
            abi: summary.abi ?? 'args',
            limits: summary.limits,
            routes: summary.routes,
            unavailable: reason,
          },
        ];
      } catch {
        return []; // removed meanwhile
      }
    });
  return {
    mode: 'server',
    get node() {
      return { id: platform.nodeId, revision: platform.servedRevision };
    },
    functions: () => [...serving.functions(), ...unavailable()].sort((a, b) => a.name.localeCompare(b.name)),
    get: (name) => {
      if (executor.has(name)) return serving.get(name);
      const refused = unavailable().find((fn) => fn.name === name);
      if (refused) return refused;
      throw functionNotFound(name, { hint: HINT });
    },
    logs: platform.logs,
    platform: {
      versions: (name) => platform.versions(name),
      rollback: (name, to) => platform.rollback(name, to),
    },
  };
}
