/** nano as a library: the same pieces the CLI is made of. */
export { main } from './cli/main.js';
export { resolveConfig, type ResolvedConfig, type ResolvedFunction } from './config/index.js';
export { buildProject, readManifest, checkModule, type BuildManifest, type FunctionArtifact } from './build/index.js';
export { NanoError, ProblemsError, type ErrorCode, type Problem } from './errors.js';
