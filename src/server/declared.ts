/**
 * What `nano dev` knows that a registry does not: the functions its nano.yml declares, served or not
 * yet. A request for a declared function that does not serve is no 404: before the first build is
 * loaded it waits for it (bounded: 503 `Starting` beyond), and a function whose build failed answers
 * 503 naming the error. `nano server` has none of this: what it does not hold does not exist.
 */
/** How long a request that arrives before `nano dev`'s first build is loaded waits for it (`--start-timeout`). */
export const DEFAULT_START_TIMEOUT_MS = 30_000;

export interface DeclaredFunctions {
  /** True until the first build is loaded: `/healthz` answers 503 `starting`. */
  starting(): boolean;
  /** The declared function one of whose routes matches (for a request no served route matches). */
  routeOf(method: string, path: string): string | undefined;
  /**
   * For a name no served function has: resolves at once when it is not declared, or once the first
   * build is loaded (the caller looks again); rejects with 503 `Starting` past the bound, or with 503
   * `FunctionUnavailable` naming the build error of a declared function that does not serve.
   */
  settle(name: string): Promise<void>;
  /** The hints of a 404, fitting the command that serves. */
  readonly hints: { functionNotFound: string; noRoute: string; routes: string };
}
