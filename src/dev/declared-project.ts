/**
 * The functions nano.yml declares, for the dev server's app (server/declared.ts): `nano dev` opens its
 * socket before the first build (which may run a compiler for seconds), and a request for a declared
 * function that arrives meanwhile waits for that build rather than get a 404. Past a bound it answers
 * 503 `Starting`; a declared function that does not serve because its build failed answers 503
 * `FunctionUnavailable` naming the error, at start as after any reload, until it builds.
 *
 * Strategy: one flag, set once (starting → loaded), and the waiters it releases; after each load
 * (the first and every reload) the declared names and routes follow the configuration in force, and
 * the reasons follow the failures reported. A function is "not served" by the loader's own account
 * (what serves is what it loaded), so a reload that stopped early (an invalid nano.yml) keeps the
 * reasons it cannot restate.
 */
import type { ResolvedConfig } from '../config/index.js';
import { formatProblem, NanoError } from '../errors.js';
import { DEFAULT_START_TIMEOUT_MS, type DeclaredFunctions } from '../server/declared.js';
import { Readiness, RouteTable } from '../server/index.js';
import type { FunctionFailure } from './reloader.js';

interface Waiter {
  resolve(): void;
  reject(error: unknown): void;
}

export class DeclaredProject implements DeclaredFunctions {
  readonly hints = {
    functionNotFound:
      'nano.yml declares no function by this name; `nano dev` prints the functions it serves when it starts, and every one added or removed',
    noRoute: 'functions are served at /exec/<name> and at the http routes nano.yml gives them; `nano dev` prints them when it starts',
    routes: '`nano dev` printed the routes when it started',
  };
  /** 503 NotReady until the first build is loaded (GET /healthz/ready). */
  readonly readiness: Readiness;
  #loaded: boolean;
  #closed = false;
  #names = new Set<string>();
  readonly #routes = new RouteTable();
  /** Declared functions that do not serve, with why (their build's problems). */
  #failed = new Map<string, string>();
  readonly #waiters = new Set<Waiter>();

  /** Without a configuration nothing is declared and there is nothing to wait for (a server loaded by hand). */
  constructor(
    config: ResolvedConfig | undefined,
    private readonly startTimeoutMs: number = DEFAULT_START_TIMEOUT_MS,
  ) {
    this.#loaded = config === undefined;
    if (config !== undefined) this.declare(config);
    this.readiness = new Readiness(
      {
        starting: {
          why: '`nano dev` is starting: its first build is not loaded yet',
          hint: 'it is ready once it prints "listening on"; a build command (a compiler) may take seconds',
        },
      },
      this.#loaded ? 'ready' : 'starting',
    );
  }

  starting(): boolean {
    return !this.#loaded;
  }

  routeOf(method: string, path: string): string | undefined {
    return this.#routes.match(method, path)?.name;
  }

  async settle(name: string): Promise<void> {
    if (!this.#names.has(name)) return;
    if (!this.#loaded) await this.firstBuild(name);
    const why = this.#failed.get(name);
    if (why !== undefined && this.#names.has(name)) {
      throw new NanoError('FunctionUnavailable', `function "${name}" is not served: its build failed:\n${why}`, {
        value: name,
        hint: 'fix the error and save: `nano dev` serves the function as soon as it builds (its output shows the error too)',
      });
    }
  }

  /**
   * After the first build and every reload: the configuration in force, the failures the reload
   * reported, and the names of the functions serving now.
   */
  loaded(config: ResolvedConfig, failures: readonly FunctionFailure[], serving: Iterable<string>): void {
    this.declare(config);
    const served = new Set(serving);
    const reasons = new Map(failures.map((failure) => [failure.name, failure.problems.map(formatProblem).join('\n')]));
    const failed = new Map<string, string>();
    for (const name of this.#names) {
      if (served.has(name)) continue;
      const why = reasons.get(name) ?? this.#failed.get(name);
      if (why !== undefined) failed.set(name, why);
    }
    this.#failed = failed;
    if (!this.#loaded) {
      this.#loaded = true;
      this.readiness.ready();
      for (const waiter of this.#waiters) waiter.resolve();
      this.#waiters.clear();
    }
  }

  /** The server closes: whoever still waits gets 503 at once rather than hang on a build that stopped. */
  close(): void {
    this.#closed = true;
    const error = new NanoError('Starting', '`nano dev` stopped before its first build was loaded', {
      hint: 'start `nano dev` again; its output says why it stopped',
    });
    for (const waiter of this.#waiters) waiter.reject(error);
    this.#waiters.clear();
  }

  private declare(config: ResolvedConfig): void {
    this.#names = new Set(config.functions.map((fn) => fn.name));
    this.#routes.replace(config.functions);
  }

  private firstBuild(name: string): Promise<void> {
    if (this.#closed) return Promise.reject(new NanoError('Starting', '`nano dev` is stopping'));
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(waiter);
        const seconds = Math.round(this.startTimeoutMs / 100) / 10;
        reject(
          new NanoError('Starting', `function "${name}" is not served yet: the first build of \`nano dev\` still runs after ${seconds} s`, {
            value: name,
            hint: 'retry once `nano dev` prints "listening on"; `--start-timeout <ms>` makes requests wait longer for the first build',
          }),
        );
      }, this.startTimeoutMs);
      this.#waiters.add(waiter);
    });
  }
}
