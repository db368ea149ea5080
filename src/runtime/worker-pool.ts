/**
 * The threads: `size` active workers pulling jobs plus one warm spare, booted
 * and holding every loaded module, parked on a futex. When a worker must be
 * stopped (an unguarded invocation timed out; see HDR_GUARD_MS for the ones a
 * worker interrupts itself) the spare becomes active at once and a replacement
 * spawns in the background, so no caller waits for a spawn (~40 ms idle here,
 * hundreds of ms on a loaded machine or under tsx). The pool owns thread lifecycles and control
 * messages; which job runs where is the workers' business (they pull).
 */
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import {
  CTL_SHUTDOWN,
  CTL_WORK_SEQ,
  MSG_READY,
  MSG_RESULTS,
  OWN_ACTIVE,
  OWN_CONTROL_SEQ,
  OWN_CURRENT_SLOT,
  OWN_WORDS,
  type ControlMessage,
  type LoadMessage,
  type PayloadMessage,
  type SharedViews,
  type WorkerInit,
} from './protocol.js';

type Role = 'active' | 'spare' | 'stopping';

interface PooledWorker {
  readonly id: number;
  readonly thread: Worker;
  readonly own: Int32Array;
  readonly control: MessagePort;
  role: Role;
  ready: boolean;
}

export interface PoolHealth {
  /** Threads pulling jobs, the warm spare(s), threads being terminated. */
  active: number;
  spare: number;
  stopping: number;
  /** Threads started since the pool was created (each replacement adds one). */
  spawned: number;
  /** Active threads running a call now (the others wait for one). */
  busy: number;
  /** Threads started to replace one that was stopped or crashed: `spawned` less the first pool and its spare. */
  restarts: number;
}

export interface WorkerPoolOptions {
  size: number;
  views: SharedViews;
  /** A worker announced finished slots. */
  onResults: () => void;
  /** A worker's thread has ended (terminated or crashed); its slots can be settled. */
  onExit: (workerId: number) => void;
}

/** Consecutive workers that die before booting before the pool stops respawning. */
const MAX_BOOT_FAILURES = 3;

/**
 * Built, the worker is the .js file beside this one. Under vitest (or tsx) the
 * runtime runs from its TypeScript sources, and Node 20 ignores `--import tsx`
 * in a worker's execArgv for the worker's entry module, so a two-line
 * bootstrap registers tsx's hooks in the worker, then imports worker.ts.
 */
function workerEntry(): { filename: URL | string; eval: boolean } {
  const self = import.meta.url;
  if (!self.endsWith('.ts')) return { filename: new URL('./worker.js', self), eval: false };
  const tsx = JSON.stringify(import.meta.resolve('tsx/esm/api'));
  const worker = JSON.stringify(new URL('./worker.ts', self).href);
  return { filename: `import(${tsx}).then((tsx) => { tsx.register(); return import(${worker}); });`, eval: true };
}

export class WorkerPool {
  readonly size: number;
  private readonly views: SharedViews;
  private readonly onResults: () => void;
  private readonly onExit: (workerId: number) => void;
  private readonly workers = new Map<number, PooledWorker>();
  /** Modules every worker must hold; replayed to each new worker. */
  private readonly loads = new Map<number, LoadMessage>();
  /** Payload buffers every worker must know; replayed to each new worker too. */
  private readonly payloads = new Map<number, PayloadMessage>();
  private readonly entry = workerEntry();
  private nextId = 0;
  private bootFailures = 0;
  private bootError: Error | undefined;
  private closing = false;

  constructor(options: WorkerPoolOptions) {
    this.size = options.size;
    this.views = options.views;
    this.onResults = options.onResults;
    this.onExit = options.onExit;
    this.replenish();
  }

  /** Why the pool cannot run anything, when its workers keep failing to boot. */
  get failure(): Error | undefined {
    return this.workers.size === 0 && this.bootFailures >= MAX_BOOT_FAILURES ? this.bootError : undefined;
  }

  health(): PoolHealth {
    const health: PoolHealth = {
      active: 0,
      spare: 0,
      stopping: 0,
      spawned: this.nextId,
      busy: 0,
      restarts: Math.max(0, this.nextId - this.size - 1),
    };
    for (const w of this.workers.values()) {
      health[w.role]++;
      if (w.role === 'active' && Atomics.load(w.own, OWN_CURRENT_SLOT) >= 0) health.busy++;
    }
    return health;
  }

  /** Active workers with their current slot (-1 when idle), for the watchdog. */
  running(): { id: number; slot: number }[] {
    const list: { id: number; slot: number }[] = [];
    for (const w of this.workers.values()) {
      if (w.role === 'active') list.push({ id: w.id, slot: Atomics.load(w.own, OWN_CURRENT_SLOT) });
    }
    return list;
  }

  /** Hands a compiled module to every worker (a structured clone of a Module shares its code). */
  load(message: LoadMessage): void {
    this.loads.set(message.id, message);
    for (const w of this.workers.values()) if (w.role !== 'stopping') this.send(w, message);
  }

  drop(id: number): void {
    if (!this.loads.delete(id)) return;
    for (const w of this.workers.values()) if (w.role !== 'stopping') this.send(w, { type: 'drop', id });
    // Idle workers sleep; wake them so they let go of the module now rather than at their next job.
    this.wakeAll();
  }

  /** Hands a payload buffer (payload.ts) to every worker; it is shared, not copied. */
  sharePayload(message: PayloadMessage): void {
    this.payloads.set(message.id, message);
    for (const w of this.workers.values()) if (w.role !== 'stopping') this.send(w, message);
  }

  dropPayload(id: number): void {
    if (!this.payloads.delete(id)) return;
    for (const w of this.workers.values()) if (w.role !== 'stopping') this.send(w, { type: 'unpayload', id });
  }

  /** Stops a worker whose invocation overran; the spare takes its place at once. */
  retire(workerId: number): void {
    const w = this.workers.get(workerId);
    if (w === undefined || w.role === 'stopping') return;
    w.role = 'stopping';
    void w.thread.terminate();
    this.replenish();
  }

  async close(): Promise<void> {
    this.closing = true;
    Atomics.store(this.views.control, CTL_SHUTDOWN, 1);
    this.wakeAll();
    const exits = [...this.workers.values()].map(
      (w) =>
        new Promise<void>((resolve) => {
          w.thread.once('exit', () => resolve());
          void w.thread.terminate();
        }),
    );
    await Promise.all(exits);
  }

  private send(w: PooledWorker, message: ControlMessage): void {
    w.control.postMessage(message);
    // Bumped after the post: a worker that sees the new count finds the message on its port.
    Atomics.add(w.own, OWN_CONTROL_SEQ, 1);
  }

  private wakeAll(): void {
    Atomics.notify(this.views.control, CTL_WORK_SEQ);
    for (const w of this.workers.values()) Atomics.notify(w.own, OWN_ACTIVE);
  }

  /** Brings the pool back to `size` active workers and one spare, promoting a booted spare first. */
  private replenish(): void {
    if (this.closing) return;
    const spares: PooledWorker[] = [];
    let active = 0;
    for (const w of this.workers.values()) {
      if (w.role === 'active') active++;
      else if (w.role === 'spare') spares.push(w);
    }
    spares.sort((a, b) => Number(b.ready) - Number(a.ready));
    for (; active < this.size && spares.length > 0; active++) this.activate(spares.shift() as PooledWorker);
    if (this.bootFailures >= MAX_BOOT_FAILURES) return;
    for (; active < this.size; active++) this.spawn('active');
    if (spares.length === 0) this.spawn('spare');
  }

  private activate(w: PooledWorker): void {
    w.role = 'active';
    Atomics.store(w.own, OWN_ACTIVE, 1);
    Atomics.notify(w.own, OWN_ACTIVE);
  }

  private spawn(role: 'active' | 'spare'): void {
    const id = this.nextId++;
    const own = new Int32Array(new SharedArrayBuffer(OWN_WORDS * 4));
    own[OWN_ACTIVE] = role === 'active' ? 1 : 0;
    own[OWN_CURRENT_SLOT] = -1;
    const { port1, port2 } = new MessageChannel();
    const init: WorkerInit = {
      workerId: id,
      shared: this.views.buffer,
      slotCount: this.views.slotCount,
      own: own.buffer as SharedArrayBuffer,
      control: port2,
    };
    const thread = new Worker(this.entry.filename, {
      eval: this.entry.eval,
      workerData: init,
      transferList: [port2],
      stdout: false,
      stderr: false,
    });
    const w: PooledWorker = { id, thread, own, control: port1, role, ready: false };
    this.workers.set(id, w);
    for (const message of this.loads.values()) this.send(w, message);
    for (const message of this.payloads.values()) this.send(w, message);
    thread.on('message', (message: unknown) => {
      if (message === MSG_RESULTS) this.onResults();
      else if (message === MSG_READY) {
        w.ready = true;
        this.bootFailures = 0;
        this.bootError = undefined;
      }
    });
    // Without a listener an 'error' event would crash the process; 'exit' follows it.
    thread.on('error', (error) => {
      if (!w.ready) this.bootError = error;
    });
    thread.once('exit', () => this.exited(w));
    // The executor's own timer keeps the process alive while work is pending;
    // idle workers must not keep a CLI from exiting. (After the listeners: adding
    // a 'message' listener refs the worker's port again.)
    thread.unref();
  }

  private exited(w: PooledWorker): void {
    this.workers.delete(w.id);
    w.control.close();
    if (!w.ready && w.role !== 'stopping' && !this.closing) {
      this.bootFailures++;
      this.bootError ??= new Error('a worker exited before it started');
    }
    this.onExit(w.id);
    this.replenish();
  }
}
