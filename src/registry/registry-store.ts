/**
 * What the platform needs from a registry, whether it is embedded (a data
 * folder, `file:`) or shared by several nodes (`redis://`, next): the functions
 * of one revision, atomic commits, a feed of the revisions this node moves to,
 * content-addressed artifacts and the deploys waiting for their commit.
 *
 * One rule makes a shared store possible: a commit's `change` may run more than
 * once (another node committed first, so it runs again on the newer state), so
 * it reads and writes only the draft it is given, and everything that depends
 * on the state (which version to roll back to, the next version number, route
 * and ownership checks) is decided inside it.
 */
import type { FunctionRecord, RegistryState } from './types.js';

/** A revision this node moved to: `names` are the functions changed, created or removed by it. */
export interface RegistryChange {
  from: number;
  to: number;
  names: string[];
}

export interface CommitOptions<T> {
  /**
   * A pending deploy (see `pending`) that the commit uses up in the same atomic step. If it is gone
   * (committed by another request, or expired) the commit fails with NotFound and writes nothing.
   */
  consumes?: string;
  /**
   * Runs after `change`, before anything is written, and may still refuse it: the platform compiles
   * the modules the change switches to here, so that the runtime's refusals come before the write.
   * Runs again whenever `change` does.
   */
  beforeWrite?: (value: T, draft: RegistryState) => Promise<void>;
}

/** Deploy requests between `POST /deployments` and their commit, as JSON text, forgotten after a while. */
export interface PendingDeploys {
  put(id: string, json: string, ttlMs: number): Promise<void>;
  get(id: string): Promise<string | undefined>;
  /** Gets and deletes in one step: of two callers, one gets the value. */
  take(id: string): Promise<string | undefined>;
}

/** Module bytes by sha256, written once: `get` hands back only bytes that hash to their name. */
export interface Artifacts {
  has(sha256: string): Promise<boolean>;
  /** Stores bytes under their hash; refuses them (RequestInvalid) when they hash to something else. */
  put(expectedSha256: string, bytes: Uint8Array): Promise<{ created: boolean }>;
  get(sha256: string): Promise<Uint8Array>;
}

/** How far a revision has spread: `converged` of the `nodes` alive have applied it, `ms` after the commit. */
export interface Convergence {
  revision: number;
  nodes: number;
  converged: number;
  ms: number;
  /** The nodes that had not applied it when the wait ended. */
  lagging: string[];
}

/**
 * Invocation log entries (JSON text) shared by every node of a store: `nano logs` through any node
 * sees every node's calls. Best effort: an entry the store cannot take is dropped, never an error.
 */
export interface SharedLog {
  append(name: string, json: string): void;
  /** The newest `limit` entries of a function, oldest first. */
  recent(name: string, limit: number): Promise<string[]>;
  /** Every entry any node appends from now on. */
  subscribe(listener: (name: string, json: string) => void): () => void;
  forget(name: string): Promise<void>;
}

export interface RegistryNode {
  id: string;
  url: string;
  /** The revision the node has applied. */
  revision: number;
}

export interface RegistryStore {
  /** The revision this node holds: 0 = empty, +1 per commit, never goes back. */
  readonly revision: number;
  /** Every function of `revision`, by name; synchronous, from memory. */
  functions(): FunctionRecord[];
  get(name: string): FunctionRecord | undefined;
  /**
   * Applies `change` to a copy of the newest state, durably and atomically, and resolves once every
   * subscriber has handled the new revision. If `change` or `beforeWrite` throws, nothing is
   * written and the revision stays.
   */
  commit<T>(change: (draft: RegistryState) => T, options?: CommitOptions<T>): Promise<{ value: T; revision: number }>;
  /**
   * Every revision this node moves to, its own commits included, one at a time and in order. A
   * listener owns its errors: the revision is durable whatever it does (a throw is reported, not
   * undone). Returns the unsubscribe function.
   */
  subscribe(listener: (change: RegistryChange) => Promise<void>): () => void;
  readonly artifacts: Artifacts;
  readonly pending: PendingDeploys;
  /** The nodes sharing this store and the revision each has applied (a file store: this process). */
  nodes(): Promise<RegistryNode[]>;
  /** Tells the other nodes this node's address once it listens (a store of one node has no one to tell). */
  announce(): Promise<void>;
  /** Waits until every live node has applied `revision`, or `timeoutMs` passes, and says how far it got. */
  converge(revision: number, timeoutMs: number): Promise<Convergence>;
  /** Milliseconds this node has known of a newer revision than it holds (0: up to date, or the store is out of reach). */
  lagMs(): number;
  /** Invocation logs shared by the nodes; absent for a store of one node (each process keeps its own). */
  readonly invocations?: SharedLog;
  /** The whole state of `revision` (a copy), for `nano registry copy`. */
  snapshot(): { state: RegistryState; revision: number };
  /** Waits for the commit in progress; the store takes no more. */
  close(): Promise<void>;
}
