/** build: nano.yml functions → checked Wasm artifacts and the manifest later stages read. */
export { sha256 } from './hash.js';
export {
  buildProject,
  buildDirOf,
  type BuildResult,
  type BuildReport,
  type BuildStatus,
  type BuildOptions,
  type CommandReport,
} from './build-project.js';
export { checkModule, type ModuleCheck, type ModuleCheckInput, type ModuleInfo } from './inspect.js';
export { compileWat } from './compile-wat.js';
export { PLATFORM_IMPORTS, PLATFORM_MODULE, WASI_IMPORTS, WASI_MODULE } from './platform-abi.js';
export {
  formatSignature,
  readManifest,
  MANIFEST_FILE,
  MANIFEST_VERSION,
  type BuildManifest,
  type FunctionArtifact,
  type ImportRef,
  type MemoryInfo,
  type Signature,
  type ValueType,
  type Limits,
  type Route,
  type HttpMethod,
  type Abi,
} from './manifest.js';
