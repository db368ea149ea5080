/** registry: the platform's stored functions, versions and artifacts (an embedded, crash-safe file store). */
export { Registry, MAX_VERSIONS, nextVersion } from './registry.js';
export { ArtifactStore, isSha256 } from './artifact-store.js';
export { FAILPOINTS, type Failpoint } from './failpoints.js';
export type { DeploymentRecord, FunctionRecord, RegistryState, VersionRecord } from './types.js';
