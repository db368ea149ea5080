/**
 * The embedded registry, in a data folder that needs no other service:
 *   artifacts/<sha256>.wasm   content-addressed module bytes, written once
 *   state.json                the functions, their versions and the revision (state-file.ts)
 * Pending deploys live in memory (pending-map.ts): one process serves them all.
 *
 * Strategy: the whole metadata is one small JSON document. A change is computed
 * on a copy and made durable by one atomic file replacement (durable-file.ts)
 * before it becomes visible in memory; a commit therefore switches every
 * function it touches at once, and a crash at any moment leaves the previous or
 * the next state, never a mix. Artifacts are written before the state that
 * refers to them, so a state on disk never points at a missing file. Commits
 * are serialized, each through its subscribers, so two racing deploys land one
 * after the other and subscribers see revisions in order. A change here runs
 * exactly once, but is written to run again (see registry-store.ts).
 */
import { mkdir, readdir, rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { withFileSystemErrors } from '../file-system-error.js';
import { ArtifactStore } from './artifact-store.js';
import { ChangeFeed } from './change-feed.js';
import { TEMP_MARK } from './durable-file.js';
import { PendingMap, pendingNotFound } from './pending-map.js';
import type { CommitOptions, Convergence, RegistryChange, RegistryNode, RegistryStore } from './registry-store.js';
import { changedNames, sealDraft } from './registry-state.js';
import { readStateFile, writeStateFile } from './state-file.js';
import type { FunctionRecord, RegistryState } from './types.js';

export interface FileRegistryOptions {
  /** This process in `nodes()`; `<hostname>-<pid>` if left out. */
  nodeId?: string;
  /** This process's address in `nodes()`. */
  publicUrl?: () => string;
  /** Where a subscriber's error goes (the revision is durable already); a process warning if left out. */
  onListenerError?: (error: unknown) => void;
}

export class FileRegistry implements RegistryStore {
  readonly artifacts: ArtifactStore;
  readonly pending = new PendingMap();
  private readonly feed: ChangeFeed;
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly dataDir: string,
    private state: RegistryState,
    private rev: number,
    private readonly options: FileRegistryOptions,
  ) {
    this.artifacts = new ArtifactStore(join(dataDir, 'artifacts'));
    this.feed = new ChangeFeed(options.onListenerError ?? ((error) => process.emitWarning(error as Error)));
  }

  /** Opens (or creates) a data folder, sweeping temporary files a crash left behind. */
  static async open(dataDir: string, options: FileRegistryOptions = {}): Promise<FileRegistry> {
    // --data may name a file, a folder below one, a read-only disk: the operator's to fix, named.
    await withFileSystemErrors('open the data folder', dataDir, async () => {
      await mkdir(join(dataDir, 'artifacts'), { recursive: true });
      for (const folder of [dataDir, join(dataDir, 'artifacts')]) {
        for (const name of await readdir(folder)) {
          if (name.includes(TEMP_MARK)) await rm(join(folder, name), { recursive: true, force: true });
        }
      }
    });
    const { state, revision } = await readStateFile(dataDir);
    return new FileRegistry(dataDir, state, revision, options);
  }

  get revision(): number {
    return this.rev;
  }

  functions(): FunctionRecord[] {
    return Object.values(this.state.functions).sort((a, b) => a.name.localeCompare(b.name));
  }

  get(name: string): FunctionRecord | undefined {
    return Object.hasOwn(this.state.functions, name) ? this.state.functions[name] : undefined;
  }

  commit<T>(change: (draft: RegistryState) => T, options: CommitOptions<T> = {}): Promise<{ value: T; revision: number }> {
    const run = this.queue.then(async () => {
      const { consumes, beforeWrite } = options;
      // Commits run one at a time, so a pending deploy present here is still present at the write.
      if (consumes !== undefined && !this.pending.has(consumes)) throw pendingNotFound(consumes);
      const draft = structuredClone(this.state);
      const value = change(draft);
      await beforeWrite?.(value, draft);
      sealDraft(draft, this.state);
      const next: RegistryChange = { from: this.rev, to: this.rev + 1, names: changedNames(this.state, draft) };
      await writeStateFile(this.dataDir, draft, next.to);
      this.state = draft;
      this.rev = next.to;
      if (consumes !== undefined) this.pending.delete(consumes);
      // Inside the queue: the next commit waits until every subscriber has this revision.
      await this.feed.publish(next);
      return { value, revision: next.to };
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  subscribe(listener: (change: RegistryChange) => Promise<void>): () => void {
    return this.feed.subscribe(listener);
  }

  nodes(): Promise<RegistryNode[]> {
    const id = this.options.nodeId ?? `${hostname()}-${process.pid}`;
    return Promise.resolve([{ id, url: this.options.publicUrl?.() ?? '', revision: this.rev }]);
  }

  announce(): Promise<void> {
    return Promise.resolve();
  }

  /** One node, which applied its revision before its commit returned. */
  converge(revision: number): Promise<Convergence> {
    return Promise.resolve({ revision, nodes: 1, converged: this.rev >= revision ? 1 : 0, ms: 0, lagging: [] });
  }

  lagMs(): number {
    return 0;
  }

  snapshot(): { state: RegistryState; revision: number } {
    return { state: structuredClone(this.state), revision: this.rev };
  }

  async close(): Promise<void> {
    await this.queue;
  }
}
