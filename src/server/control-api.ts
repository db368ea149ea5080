/**
 * The control plane's wire contract, shared by the server (src/server) and the
 * client (src/client). Every body is JSON; every route needs
 * `Authorization: Bearer <token>`; errors are `{ "error": { code, message, hint? } }`.
 *
 *   POST   /deployments                 DeployRequest      → DeployPlan        (which artifacts are missing)
 *   PUT    /artifacts/:sha256           raw wasm bytes     → ArtifactStored    (201 new, 200 known; 400 hash mismatch; 413 too large)
 *   POST   /deployments/:id/commit      (no body)          → DeployCommitted   (400 a check failed, naming the function; 404 unknown id)
 *   GET    /functions                                      → FunctionList
 *   GET    /functions/:name                                → FunctionDescription
 *   GET    /functions/:name/versions                       → VersionList
 *   POST   /functions/:name/rollback    RollbackRequest    → RollbackDone
 *   DELETE /functions/:name                                → Removed
 *   GET    /healthz/nodes                                  → NodeList          (the nodes sharing the registry)
 *   GET    /functions/:name/logs?since=5m&limit=100        → LogList; with `Accept: text/event-stream`
 *                                                             an SSE stream of `event: log` / `data: LogEntry`
 *                                                             (the last entries first, then new ones live)
 */
import type { Abi, Limits, Route, Signature } from '../build/manifest.js';
import type { Convergence, RegistryNode, VersionRecord } from '../registry/index.js';
import type { FunctionStats } from '../runtime/index.js';

export type { Convergence, RegistryNode, VersionRecord } from '../registry/index.js';

/**
 * What a change did across the nodes of the platform: the revision it made, and how many of the live
 * nodes had applied it when the commit answered (absent from older servers, and when the shared
 * registry could not be asked).
 */
export interface Committed {
  revision?: number;
  convergence?: Convergence;
}

export interface DeployFunction {
  name: string;
  sha256: string;
  size: number;
  entry: string;
  limits: Limits;
  routes: Route[];
  description?: string;
  /** Absent means `args`. */
  abi?: Abi;
  /** Environment variables of a `wagi` function. */
  env?: Record<string, string>;
}

export interface DeployRequest {
  service: string;
  stage: string;
  functions: DeployFunction[];
  /** Remove the service's functions that are not in `functions` (a whole-project deploy). */
  prune: boolean;
}

export interface DeployPlan {
  id: string;
  /** sha256 of every artifact the server lacks; upload each with PUT /artifacts/:sha256. */
  missing: string[];
}

export interface ArtifactStored {
  sha256: string;
  size: number;
  created: boolean;
}

export type FunctionChange = 'created' | 'updated' | 'unchanged' | 'removed';

export interface DeployCommitted extends Committed {
  id: string;
  functions: { name: string; version: number; change: FunctionChange; url: string }[];
}

export interface FunctionSummary {
  name: string;
  service: string;
  stage: string;
  version: number;
  sha256: string;
  limits: Limits;
  routes: Route[];
  signature: Signature;
  description?: string;
  abi?: Abi;
  updatedAt: string;
  url: string;
  stats: FunctionStats;
  /** Set when the runtime refused the current version (it answers 503): why. */
  unavailable?: string;
}

/** A function the platform holds but cannot run, and why. */
export interface UnavailableFunction {
  name: string;
  reason: string;
}

export interface FunctionList {
  functions: FunctionSummary[];
  /** Functions whose current version the runtime refused (older platforms omit it). */
  unavailable?: UnavailableFunction[];
}

export type FunctionDescription = FunctionSummary & { versions: number };

export interface VersionList {
  name: string;
  current: number;
  versions: (VersionRecord & { current: boolean })[];
}

export interface RollbackRequest {
  /** The version to switch to; default: the one before the current. */
  to?: number;
}

export interface RollbackDone extends Committed {
  name: string;
  from: number;
  version: number;
}

export interface Removed extends Committed {
  name: string;
  removed: true;
}

export type Outcome = 'ok' | 'trap' | 'timeout' | 'throttled' | 'error';

export interface LogEntry {
  time: string;
  requestId: string;
  name: string;
  version: number | null;
  status: number;
  durationMs: number;
  outcome: Outcome;
  /** Lines the function logged, and the error message for failed calls. */
  lines: string[];
  /** The module was compiled or handed to the workers for this call (absent from older servers). */
  coldStart?: boolean;
  /** The W3C trace id of the request (`traceparent`), given or generated (absent from older servers). */
  traceId?: string;
}

export interface NodeList {
  /** The node that answered. */
  self: string;
  nodes: RegistryNode[];
  /** The revision the answering node serves. */
  revision: number;
}

export interface LogList {
  name: string;
  entries: LogEntry[];
}
