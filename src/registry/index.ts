/** registry: the platform's stored functions, versions and artifacts, behind one interface (an embedded, crash-safe file store). */
export { openRegistry, type OpenRegistryOptions } from './open-registry.js';
export type {
  Artifacts,
  CommitOptions,
  Convergence,
  PendingDeploys,
  RegistryChange,
  RegistryNode,
  RegistryStore,
  SharedLog,
} from './registry-store.js';
export { FileRegistry, type FileRegistryOptions } from './file-registry.js';
export { pendingNotFound } from './pending-map.js';
export { MAX_DEPLOYMENTS, MAX_VERSIONS, nextVersion } from './registry-state.js';
export { ArtifactStore, isSha256 } from './artifact-store.js';
export { FAILPOINTS, type Failpoint } from './failpoints.js';
export type { DeploymentRecord, FunctionRecord, RegistryState, VersionRecord } from './types.js';
