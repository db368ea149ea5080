/**
 * Instances of one module on one thread, each call given a clean one. An
 * instrumented, recyclable module keeps a single instance: after each call its
 * state is put back as instantiation left it (state-snapshot.ts), so no call
 * sees another's memory, globals or tables, yet none pays for a new instance
 * (a new WebAssembly.Memory alone costs ~25 µs: guard regions mapped, then
 * collected). Any other module gets a fresh instance per call.
 */
import type { ExecutionPlan } from './protocol.js';
import type { InstanceImports } from './platform-imports.js';
import { StateSnapshot } from './state-snapshot.js';

export class CleanInstances {
  /** The clean instance kept between calls (recyclable modules only) and its captured state. */
  private idle: { instance: WebAssembly.Instance; snapshot: StateSnapshot } | undefined;
  /** Set once capturing showed the module cannot be recycled (e.g. a memory too large to copy back). */
  private freshOnly: boolean;

  constructor(
    private readonly module: WebAssembly.Module,
    private readonly makeImports: () => InstanceImports,
    private readonly plan: ExecutionPlan | undefined,
  ) {
    this.freshOnly = plan?.recyclable !== true;
  }

  /** True while calls reuse one instance (false for a module that gets a new instance per call). */
  recycles(): boolean {
    return !this.freshOnly;
  }

  /** Runs `body` on a clean instance; whatever it throws (a trap, a stop) propagates after the reset. */
  run<T>(body: (instance: WebAssembly.Instance) => T): T {
    const kept = this.idle;
    this.idle = undefined;
    if (kept !== undefined) {
      try {
        return body(kept.instance);
      } finally {
        if (kept.snapshot.restore()) this.idle = kept;
      }
    }
    const { imports, bind } = this.makeImports();
    const instance = new WebAssembly.Instance(this.module, imports);
    bind?.(instance);
    const snapshot = this.freshOnly ? undefined : this.capture(instance);
    try {
      return body(instance);
    } finally {
      if (snapshot?.restore() === true) this.idle = { instance, snapshot };
    }
  }

  private capture(instance: WebAssembly.Instance): StateSnapshot | undefined {
    const captured = StateSnapshot.capture(instance, (this.plan as ExecutionPlan).state);
    if (typeof captured === 'string') {
      this.freshOnly = true;
      return undefined;
    }
    return captured;
  }
}
