/**
 * The error family of nano. Every error a user can cause is a `NanoError` with a
 * stable `code` (callers switch on it, never on message text), the offending
 * value when there is one, and a hint that says what to do. Anything that is not
 * a `NanoError` reaching the top level is a bug in nano.
 */

export type ErrorCode =
  | 'ConfigInvalid'
  | 'ConfigNotFound'
  | 'BuildFailed'
  | 'ManifestInvalid'
  | 'InitRefused'
  | 'TemplateNotFound'
  | 'FunctionNotFound'
  | 'FunctionUnavailable'
  | 'BadArguments'
  | 'FunctionTimeout'
  | 'FunctionTrapped'
  | 'ConcurrencyLimit'
  | 'Overloaded'
  | 'PayloadTooLarge'
  | 'Unauthorized'
  | 'DeployConflict'
  | 'RequestInvalid'
  | 'RequestAborted'
  | 'RequestTimeout'
  | 'HeadersTooLarge'
  | 'RemoteError'
  | 'ServerUnreachable'
  | 'NotFound'
  /** The path is served, but not for this method: 405 with an `Allow` header naming the methods it accepts. */
  | 'MethodNotAllowed'
  | 'ListenFailed'
  /** The node is starting or draining (`GET /healthz/ready`): a load balancer sends elsewhere. */
  | 'NotReady'
  /** `nano dev` has not loaded its first build yet, and a request for a declared function waited past the bound. */
  | 'Starting'
  /** The user's file system refused: a file where a folder should be, a read-only or full disk (see file-system-error.ts). */
  | 'FileSystemError'
  | 'ModuleRefused'
  | 'TokenRequired'
  | 'BadResponse'
  /** A registry URL this nano cannot open (an unknown scheme, or one not implemented yet). */
  | 'RegistryUnsupported'
  /** The shared registry (Redis) cannot be reached: the data plane serves on, the control plane answers 503. */
  | 'RegistryUnavailable';

export interface NanoErrorOptions {
  /** The value that was wrong, shown to the user and carried in JSON output. */
  value?: unknown;
  /** What the user can do about it. */
  hint?: string;
  cause?: unknown;
}

export class NanoError extends Error {
  readonly code: ErrorCode;
  readonly value: unknown;
  readonly hint: string | undefined;

  constructor(code: ErrorCode, message: string, options: NanoErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'NanoError';
    this.code = code;
    this.value = options.value;
    this.hint = options.hint;
  }

  toJSON(): { code: ErrorCode; message: string; hint?: string } {
    return this.hint === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, hint: this.hint };
  }
}

/**
 * One located problem in a user's file: `nano.yml:7:14 functions.sum.timeout: ...`
 * or `functions/sum.wat:3:5: error: ...`. Collected so that every problem is
 * reported at once rather than one per run.
 */
export interface Problem {
  file: string;
  line?: number;
  column?: number;
  /** Dotted key path inside the file (`functions.sum.timeout`), when it applies. */
  path?: string;
  message: string;
  /** Extra lines shown under the message (a source excerpt with a caret). */
  detail?: string;
  /** The function the problem belongs to, where the file does not say (a failed `build:` command is located in nano.yml). */
  function?: string;
}

export function formatProblem(problem: Problem): string {
  let where = problem.file;
  if (problem.line !== undefined) where += `:${problem.line}`;
  if (problem.column !== undefined) where += `:${problem.column}`;
  const head = problem.path ? `${where} ${problem.path}: ${problem.message}` : `${where}: ${problem.message}`;
  return problem.detail ? `${head}\n${problem.detail}` : head;
}

/** An error made of several located problems (an invalid nano.yml, a failed build). */
export class ProblemsError extends NanoError {
  readonly problems: readonly Problem[];

  constructor(code: ErrorCode, summary: string, problems: readonly Problem[], hint?: string) {
    super(code, `${summary}\n${problems.map((p) => `  ${formatProblem(p).replaceAll('\n', '\n  ')}`).join('\n')}`, {
      hint,
      value: problems,
    });
    this.problems = problems;
  }
}

export function isNanoError(error: unknown): error is NanoError {
  return error instanceof NanoError;
}

/**
 * The one wording of an unknown function, wherever it is looked up (the build's `--function`, the
 * executor, the platform, the data plane): `no function named "sum"`, `no function named "a", "b" in
 * nano.yml`. The hint says where the names are listed from that caller's side.
 */
export function functionNotFound(names: string | readonly string[], options: { in?: string; hint?: string } = {}): NanoError {
  const list = typeof names === 'string' ? [names] : names;
  const where = options.in === undefined ? '' : ` in ${options.in}`;
  return new NanoError('FunctionNotFound', `no function named ${list.map((name) => `"${name}"`).join(', ')}${where}`, {
    value: typeof names === 'string' ? names : [...names],
    hint: options.hint,
  });
}
