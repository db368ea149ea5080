/**
 * nano as a library: the same pieces the CLI is made of, importable as `nano-wasm`.
 *
 * ```ts
 * import { resolveConfig, buildProject, createExecutor } from 'nano-wasm';
 *
 * const config = await resolveConfig('nano.yml', { env: process.env });  // load, validate, resolve
 * const build = await buildProject(config, { cwd: config.dir });          // → .nano/build/
 * const executor = createExecutor({ poolSize: 1 });                       // worker threads, in this process
 * for (const fn of build.manifest.functions) await executor.deploy(fn, build.artifacts.get(fn.name)!, 1);
 * console.log((await executor.invoke('add', [5, 2])).value);              // '7'
 * await executor.close();
 * ```
 *
 * - Config: `resolveConfig(path, { stage, env, cwd })` → `ResolvedConfig`; `nanoSchemaPath` is the JSON Schema of nano.yml.
 * - Build: `buildProject(config, options)` → `BuildResult` (manifest and artifact bytes); `readManifest(buildDir)`.
 * - Run: `createExecutor(options)` → `Executor` (deploy / invoke / invokeWagi / stats / close).
 * - Control plane: `new ControlClient({ url, token })` or `createClient(url, token)`: list, deploy, rollback, logs…;
 *   `deployBuild` ships a `BuildResult` the way `nano deploy` does.
 * - Project scaffolding: `initProject(dir, template)`.
 * - Errors: every failure is a `NanoError` with a `code` (`ProblemsError` carries file:line:column problems).
 * - The CLI itself: `main(argv)` resolves with the exit code.
 */
import { ControlClient } from './client/control-client.js';

export { main } from './cli/main.js';

export {
  resolveConfig,
  nanoSchemaPath,
  parseDuration,
  formatDuration,
  type ResolvedConfig,
  type ResolvedFunction,
  type ResolveOptions,
  type Abi,
  type HttpMethod,
  type Limits,
  type Route,
} from './config/index.js';

export {
  buildProject,
  buildDirOf,
  readManifest,
  checkModule,
  type BuildManifest,
  type BuildOptions,
  type BuildReport,
  type BuildResult,
  type FunctionArtifact,
  type Signature,
  type ValueType,
} from './build/index.js';

export {
  createExecutor,
  logLinesOf,
  OverloadedError,
  type DeployItem,
  type Executor,
  type ExecutorOptions,
  type FunctionInfo,
  type FunctionStats,
  type InvokeResult,
  type RawArg,
  type WagiRequest,
  type WagiResult,
} from './runtime/index.js';

export {
  ControlClient,
  deployBuild,
  invokeRemote,
  type DeployOptions,
  type DeployResult,
  type HttpOptions,
  type InvokeOptions,
  type LogQuery,
  type RemoteInvocation,
} from './client/index.js';

/** The control plane's wire types: what `ControlClient`'s methods resolve with. */
export type {
  DeployRequest,
  FunctionDescription,
  FunctionList,
  FunctionSummary,
  LogEntry,
  Outcome,
  RollbackDone,
  VersionList,
} from './server/control-api.js';

export { initProject, listTemplates, type InitResult, type InitOptions } from './init/index.js';

export { NanoError, ProblemsError, type ErrorCode, type Problem } from './errors.js';

/**
 * A client of a running platform's control plane (`nano server`, or `nano dev`'s read-only one):
 * `createClient('http://localhost:8000', process.env.NANO_TOKEN)`.
 */
export function createClient(url: string, token?: string): ControlClient {
  return new ControlClient(token === undefined ? { url } : { url, token });
}
