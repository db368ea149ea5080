/** What the registry stores: functions, their versions, and the deployments that made them. */
import type { Abi, Limits, Route, Signature } from '../build/manifest.js';

export interface VersionRecord {
  version: number;
  sha256: string;
  size: number;
  createdAt: string;
  entry: string;
  signature: Signature;
  limits: Limits;
  routes: Route[];
  description?: string;
  /** Absent (records written before WAGI) means `args`. */
  abi?: Abi;
  /** Environment variables of a `wagi` function. */
  env?: Record<string, string>;
  /** The deployment (or rollback) that created this version. */
  deployment: string;
}

export interface FunctionRecord {
  name: string;
  service: string;
  stage: string;
  current: number;
  updatedAt: string;
  /** Oldest first; the last MAX_VERSIONS are kept (the current one always). */
  versions: VersionRecord[];
}

export interface DeploymentRecord {
  id: string;
  at: string;
  service: string;
  /** What the deployment changed; since nano records no "unchanged" ones (older states may hold them). */
  changes: { name: string; version: number | null; change: 'created' | 'updated' | 'unchanged' | 'removed' }[];
}

export interface RegistryState {
  format: 1;
  functions: Record<string, FunctionRecord>;
  /**
   * The highest version number each function name has been given, removed names included, so that a
   * name deployed again after a removal continues from it and no number is ever used twice for a name.
   * A state.json written before this field has none: it is then derived from the functions' versions
   * when the registry opens, and written with the next commit.
   */
  lastVersions: Record<string, number>;
  /** The most recent deployments, newest last. */
  deployments: DeploymentRecord[];
}
