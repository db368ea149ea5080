/**
 * An `args` module's calls on one thread: its imports (platform.now, an
 * imported memory, platform.log, the fuel check) and a clean instance per call
 * (clean-instances.ts).
 */
import type { MemoryInfo } from '../build/manifest.js';
import { CleanInstances } from './clean-instances.js';
import { withFuel } from './fuel.js';
import type { LogLines } from './payload.js';
import { importsFactory } from './platform-imports.js';
import type { ExecutionPlan } from './protocol.js';

export interface ArgsModule {
  module: WebAssembly.Module;
  entry: string;
  memory: MemoryInfo | null;
  logs: boolean;
  plan?: ExecutionPlan;
}

/** The log import's target: the calling invocation's lines, swapped per call on a recycled instance. */
class LogSink {
  target: LogLines | undefined;
  push(text: string): void {
    this.target?.push(text);
  }
}

type Entry = (...values: (number | bigint)[]) => unknown;

export class ArgsInstances {
  private readonly sink = new LogSink();
  private readonly instances: CleanInstances;

  constructor(
    private readonly target: ArgsModule,
    fuel: () => number,
  ) {
    const platformImports = importsFactory(target.memory, target.logs);
    const makeImports =
      target.plan === undefined
        ? () => platformImports(this.sink)
        : () => {
            const made = platformImports(this.sink);
            return { imports: withFuel(made.imports, fuel), bind: made.bind };
          };
    this.instances = new CleanInstances(target.module, makeImports, target.plan);
  }

  /** True while calls reuse one instance. */
  recycles(): boolean {
    return this.instances.recycles();
  }

  /** Calls the entry on a clean instance; traps (and the fuel check's stop) propagate. */
  call(args: (number | bigint)[], logs: LogLines | undefined): unknown {
    this.sink.target = logs;
    try {
      return this.instances.run((instance) => Reflect.apply(instance.exports[this.target.entry] as Entry, undefined, args));
    } finally {
      this.sink.target = undefined;
    }
  }
}
