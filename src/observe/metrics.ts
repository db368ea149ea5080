/**
 * Prometheus metrics of a nano node (`GET /metrics`, metrics-route.ts), exposed through prom-client on a
 * registry of the node's own, so that two servers in one process never share a series.
 *
 * Strategy: the hot path only adds to plain tallies (metrics-tally.ts). Everything else is read when
 * Prometheus scrapes: the tallies become counters and the duration histogram (tally-collectors.ts), and the state of the node
 * (calls in flight, limits, workers, queue, registry revision) is asked of the runtime and the platform
 * in prom-client `collect()` callbacks, never updated per call. Control actions are rare: they count
 * straight into prom-client counters. Process metrics (prom-client's defaults) are one set per process,
 * merged into every node's exposition.
 *
 * Names: `nano_` prefix, counters end in `_total`, durations in `_seconds`; labels are the function,
 * its version and a fixed set of values, never a value of a request.
 */
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import { NANO_VERSION } from '../package-root.js';
import type { Executor, FunctionInfo, RuntimeHealth } from '../runtime/index.js';
import type { ControlAction, Invocation, Platform } from '../server/index.js';
import { InvocationTallies } from './metrics-tally.js';
import { tallyCollectors } from './tally-collectors.js';

/** What the metrics read at scrape time: the runtime, and on `nano server` the platform. */
export interface MetricsSources {
  runtime: Pick<Executor, 'list' | 'health' | 'inFlight'>;
  platform?: Pick<Platform, 'servedRevision' | 'unavailable'>;
}

/** The state read once per scrape, shared by every collect() of that scrape. */
interface Snapshot {
  functions: FunctionInfo[];
  health: RuntimeHealth;
  inFlight: (name: string) => number;
  platform?: MetricsSources['platform'];
}

const FUNCTION_LABELS = ['function', 'version'] as const;
const CONTROL_RESULTS = ['ok', 'refused', 'failed'] as const;

let processRegistry: Registry | undefined;

/** prom-client's process and Node.js metrics, collected once per process however many nodes it runs. */
function processMetrics(): Registry {
  if (processRegistry === undefined) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

export class Metrics {
  /** This node's own metrics (process metrics are merged in when scraped). */
  readonly registry = new Registry();
  private readonly tallies = new InvocationTallies();
  private readonly actions: Record<'deploy' | 'rollback' | 'remove', Counter<'result'>>;
  private sources: MetricsSources | undefined;
  private snapshot: Snapshot | undefined;
  private exposed: Registry | undefined;

  constructor() {
    const registers = [this.registry];
    const state = () => this.snapshot;

    for (const collector of tallyCollectors(this.tallies)) this.registry.registerMetric(collector);

    new Gauge({
      name: 'nano_invocations_in_flight',
      help: 'Calls of a function admitted and not finished (running, queued or loading), over all its versions',
      // No version label: the runtime counts a function's calls over all its versions (its concurrency does).
      labelNames: ['function'],
      registers,
      collect() {
        this.reset();
        const now = state();
        if (now === undefined) return;
        for (const fn of now.functions) this.set({ function: fn.name }, now.inFlight(fn.name));
      },
    });
    new Gauge({
      name: 'nano_concurrency_limit',
      help: "A function's concurrency limit: calls beyond it are answered 429 (no series: unlimited)",
      labelNames: FUNCTION_LABELS,
      registers,
      collect() {
        this.reset();
        for (const fn of state()?.functions ?? []) {
          if (fn.limits.concurrency !== null) this.set({ function: fn.name, version: fn.version }, fn.limits.concurrency);
        }
      },
    });
    new Gauge({
      name: 'nano_functions',
      help: 'Functions held by this node: serving, or unavailable (its version refused by the runtime, answering 503)',
      labelNames: ['state'],
      registers,
      collect() {
        const now = state();
        this.set({ state: 'serving' }, now?.functions.length ?? 0);
        this.set({ state: 'unavailable' }, now?.platform?.unavailable.size ?? 0);
      },
    });
    new Gauge({
      name: 'nano_workers',
      help: 'Worker threads: busy (running a call), idle, the warm spare, stopping (replaced after a timeout)',
      labelNames: ['state'],
      registers,
      collect() {
        const health = state()?.health;
        if (health === undefined) return;
        this.set({ state: 'busy' }, health.busy);
        this.set({ state: 'idle' }, Math.max(0, health.workers.active - health.busy));
        this.set({ state: 'spare' }, health.workers.spare);
        this.set({ state: 'stopping' }, health.workers.stopping);
      },
    });
    new Gauge({
      name: 'nano_queue_depth',
      help: 'Calls waiting for a worker',
      registers,
      collect() {
        this.set(state()?.health.queued ?? 0);
      },
    });
    new Counter({
      name: 'nano_worker_restarts_total',
      help: 'Worker threads started to replace one that was stopped (an invocation ran past its timeout) or crashed',
      registers,
      collect() {
        this.reset();
        this.inc(state()?.health.restarts ?? 0);
      },
    });

    const actionCounter = (name: string, what: string) => {
      const counter = new Counter({
        name,
        help: `${what} through this node's control plane, by result (ok, refused, failed)`,
        labelNames: ['result'],
        registers,
      });
      for (const result of CONTROL_RESULTS) counter.inc({ result }, 0);
      return counter;
    };
    this.actions = {
      deploy: actionCounter('nano_deploys_total', 'Deploys (commits)'),
      rollback: actionCounter('nano_rollbacks_total', 'Rollbacks'),
      remove: actionCounter('nano_removals_total', 'Removals of a function'),
    };
    new Gauge({
      name: 'nano_build_info',
      help: 'The nano and Node.js versions running (always 1)',
      labelNames: ['version', 'node'],
      registers,
    }).set({ version: NANO_VERSION, node: process.version }, 1);
  }

  /** The runtime (and platform) to read at scrape time; the invocations counted so far are kept. */
  attach(sources: MetricsSources): void {
    this.sources = sources;
    const { platform } = sources;
    if (platform !== undefined && this.registry.getSingleMetric('nano_registry_revision') === undefined) {
      new Gauge({
        name: 'nano_registry_revision',
        help: 'The registry revision this node serves',
        registers: [this.registry],
        collect() {
          this.set(platform.servedRevision);
        },
      });
      this.exposed = undefined;
    }
  }

  /** The data plane's observer, once per invocation: the hot path. */
  readonly recordInvocation = (invocation: Invocation): void => this.tallies.record(invocation);

  /** The control plane's observer. */
  readonly recordControlAction = (action: ControlAction): void => {
    // The seed's /register/<name> is a deploy of one function (the same checks and commit).
    const kind = action.action === 'register' ? 'deploy' : action.action;
    if (kind === 'deploy' || kind === 'rollback' || kind === 'remove') this.actions[kind].inc({ result: action.result });
  };

  get contentType(): string {
    return this.registry.contentType;
  }

  /** The exposition: reads the runtime and the platform once, then lets prom-client write every series. */
  scrape(): Promise<string> {
    const sources = this.sources;
    if (sources !== undefined) {
      const functions = sources.runtime.list();
      const serving = new Map(functions.map((fn) => [fn.name, fn.version]));
      this.tallies.sweep((name) => serving.get(name));
      // Every collect() runs in the synchronous start of metrics(): they all read this snapshot.
      const { runtime, platform } = sources;
      this.snapshot = { functions, health: runtime.health(), inFlight: (name) => runtime.inFlight(name), platform };
    }
    this.exposed ??= Registry.merge([this.registry, processMetrics()]);
    return this.exposed.metrics();
  }
}

export function createMetrics(): Metrics {
  return new Metrics();
}
