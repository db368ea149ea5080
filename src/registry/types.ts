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
  changes: { name: string; version: number | null; change: 'created' | 'updated' | 'unchanged' | 'removed' }[];
}

export interface RegistryState {
  format: 1;
  functions: Record<string, FunctionRecord>;
  /** The most recent deployments, newest last. */
  deployments: DeploymentRecord[];
}
