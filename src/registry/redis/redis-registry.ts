/**
 * The shared registry: N `nano server` nodes on one Redis (≥ 7) or Valkey.
 *
 * Each node keeps a replica of the state in memory (functions() and get() stay
 * synchronous) and moves it forward one step at a time, in revision order,
 * handing each step to its subscribers before taking the next: a node is
 * always wholly at one revision. Three triggers make it look for a newer head:
 * a message on the changes channel (the fast path), the subscriber's
 * (re)connection, and a poll of the head every second (the safe path, for a
 * lost message). What it reads comes from one atomic script (scripts.ts): the
 * functions changed since its revision, or the whole state when the log has
 * been trimmed past it.
 *
 * A commit runs its change on the replica's state and writes it with a
 * compare-and-set on the revision; if another node committed first, the node
 * catches up and runs the change again (that is why a change reads and writes
 * only its draft), up to MAX_ATTEMPTS times, then answers 409.
 *
 * While the store is out of reach the replica stays as it is: the data plane
 * serves the last revision, the control plane answers 503 RegistryUnavailable.
 */
import { randomUUID } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { NanoError } from '../../errors.js';
import { withFileSystemErrors } from '../../file-system-error.js';
import { ArtifactStore } from '../artifact-store.js';
import { ChangeFeed } from '../change-feed.js';
import { pendingNotFound } from '../pending-map.js';
import type { CommitOptions, Convergence, RegistryChange, RegistryNode, RegistryStore } from '../registry-store.js';
import { sealDraft } from '../registry-state.js';
import type { FunctionRecord, RegistryState } from '../types.js';
import { connect, parseRedisUrl, registryUnavailable, type Redis, type RedisTarget } from './connection.js';
import { registryKeys, type RegistryKeys } from './keys.js';
import { HEARTBEAT_MS, Presence } from './presence.js';
import { advance, commitWrite, EMPTY_REPLICA, revisionOf, type Replica } from './replica.js';
import { defineScripts, runCommit, runRead } from './scripts.js';
import { RedisArtifacts } from './redis-artifacts.js';
import { RedisInvocations } from './redis-invocations.js';
import { RedisPending } from './redis-pending.js';

export interface RedisRegistryOptions {
  /** This node in `nodes()`; `<hostname>-<pid>` if left out. */
  nodeId?: string;
  publicUrl?: () => string;
  /** The local artifact cache (the `--data` folder). */
  cacheDir: string;
  onListenerError?: (error: unknown) => void;
  /** Entries the change log keeps (a node further behind reads the whole state). */
  logLength?: number;
  /** Milliseconds between two reads of the head (the safe path). */
  pollMs?: number;
}

const MAX_ATTEMPTS = 5;
const FORMAT = '1';

export class RedisRegistry implements RegistryStore {
  readonly artifacts: RedisArtifacts;
  readonly pending: RedisPending;
  readonly presence: Presence;
  readonly invocations: RedisInvocations;
  private replica: Replica = EMPTY_REPLICA;
  private readonly feed: ChangeFeed;
  /** Replica steps, one at a time: reads from the store and this node's own commits. */
  private steps: Promise<unknown> = Promise.resolve();
  private commits: Promise<unknown> = Promise.resolve();
  private syncing: Promise<void> | undefined;
  private syncAgain = false;
  /** The newest revision heard of, and since when this node has been behind it. */
  private knownHead = 0;
  private behindSince: number | undefined;
  private readonly timers: NodeJS.Timeout[] = [];
  /** The store's revision when it was found behind this node (it lost commits); undefined normally. */
  private lostAt: number | undefined;
  private closed = false;

  private constructor(
    private readonly client: Redis,
    private readonly subscriber: Redis,
    private readonly target: RedisTarget,
    private readonly keys: RegistryKeys,
    private readonly options: RedisRegistryOptions,
  ) {
    this.artifacts = new RedisArtifacts(client, keys, target, new ArtifactStore(join(options.cacheDir, 'artifacts')));
    this.pending = new RedisPending(client, keys, target);
    this.presence = new Presence(client, keys, options.nodeId ?? `${hostname()}-${process.pid}`, options.publicUrl ?? (() => ''));
    this.invocations = new RedisInvocations(client, keys, target);
    this.feed = new ChangeFeed(options.onListenerError ?? ((error) => process.emitWarning(error as Error)));
  }

  static async open(url: string, options: RedisRegistryOptions): Promise<RedisRegistry> {
    const target = parseRedisUrl(url);
    const keys = registryKeys(target.prefix);
    await withFileSystemErrors('open the artifact cache', options.cacheDir, () =>
      mkdir(join(options.cacheDir, 'artifacts'), { recursive: true }),
    );
    const client = await connect(target, 'nano-registry');
    let subscriber: Redis | undefined;
    try {
      subscriber = await connect(target, 'nano-registry-changes');
      defineScripts(client);
      await client.hsetnx(keys.meta, 'format', FORMAT);
      const format = await client.hget(keys.meta, 'format');
      if (format !== FORMAT) {
        throw new NanoError(
          'RegistryUnsupported',
          `the registry at ${target.display} has format ${String(format)}; this nano reads format ${FORMAT}`,
          {
            value: format,
            hint: 'use the nano that wrote it, or another ?prefix=',
          },
        );
      }
      const registry = new RedisRegistry(client, subscriber, target, keys, options);
      // Subscribed before the first read: a commit made in between is announced, not missed.
      await registry.listen();
      await registry.requestSync(true);
      await registry.presence.report(registry.revision, false);
      registry.startTimers();
      return registry;
    } catch (error) {
      client.disconnect();
      subscriber?.disconnect();
      throw registryUnavailable(target, error);
    }
  }

  private async listen(): Promise<void> {
    this.subscriber.on('message', (channel: string, message: string) => {
      if (channel === this.keys.changes) this.heardOf(revisionOf(message));
      else if (channel === this.keys.acks) this.presence.onAck(message);
      else if (channel === this.keys.liveInvocations) this.invocations.onMessage(message);
    });
    // ioredis subscribes again after a reconnection; messages sent while it was away are lost, so look.
    this.subscriber.on('ready', () => this.syncInBackground());
    await this.subscriber.subscribe(this.keys.changes, this.keys.acks, this.keys.liveInvocations);
  }

  private startTimers(): void {
    const poll = setInterval(() => {
      this.client.get(this.keys.head).then(
        (head) => {
          if ((head ?? '') !== this.replica.head) this.heardOf(head === null ? this.revision : revisionOf(head));
        },
        () => undefined,
      );
    }, this.options.pollMs ?? 1000);
    const heartbeat = setInterval(() => void this.presence.report(this.revision, false).catch(() => undefined), HEARTBEAT_MS);
    for (const timer of [poll, heartbeat]) {
      timer.unref();
      this.timers.push(timer);
    }
  }

  private heardOf(revision: number): void {
    if (revision > this.knownHead) this.knownHead = revision;
    if (this.knownHead > this.revision) this.behindSince ??= Date.now();
    this.syncInBackground();
  }

  /** A sync nobody waits for: a store out of reach now is tried again by the next trigger (the poll, a reconnection). */
  private syncInBackground(): void {
    this.requestSync().catch(() => undefined);
  }

  /** Brings the replica to the store's head; several requests while one runs share one more pass. */
  requestSync(whole = false): Promise<void> {
    if (this.syncing) {
      this.syncAgain = true;
      return this.syncing;
    }
    this.syncing = (async () => {
      let first = true;
      do {
        this.syncAgain = false;
        await this.step(() => this.syncOnce(whole && first));
        first = false;
      } while (this.syncAgain && !this.closed);
    })().finally(() => (this.syncing = undefined));
    return this.syncing;
  }

  private step<T>(work: () => Promise<T>): Promise<T> {
    const run = this.steps.then(work);
    this.steps = run.catch(() => undefined);
    return run;
  }

  private async syncOnce(whole: boolean): Promise<void> {
    const read = await runRead(this.client, this.keys, this.revision, this.replica.head, whole);
    // A store behind this node lost commits it acknowledged (a restart without its append-only file, a
    // failover to a replica that had not got them). The node does not follow it back: it keeps serving
    // what it has and refuses commits until an operator decides (commitNow says how).
    const storeRevision = read.kind === 'EMPTY' ? 0 : revisionOf(read.head);
    if (storeRevision < this.revision) {
      if (this.lostAt !== storeRevision) this.options.onListenerError?.(this.lostError(storeRevision));
      this.lostAt = storeRevision;
      return;
    }
    this.lostAt = undefined;
    const next = advance(this.replica, read);
    if (next) await this.moveTo(next.replica, next.names);
  }

  private async moveTo(replica: Replica, names: string[]): Promise<void> {
    const change: RegistryChange = { from: this.replica.revision, to: replica.revision, names };
    this.replica = replica;
    if (this.knownHead <= replica.revision) this.behindSince = undefined;
    await this.feed.publish(change);
    await this.presence.report(replica.revision, true).catch(() => undefined);
  }

  get revision(): number {
    return this.replica.revision;
  }

  functions(): FunctionRecord[] {
    return Object.values(this.replica.state.functions).sort((a, b) => a.name.localeCompare(b.name));
  }

  get(name: string): FunctionRecord | undefined {
    const { functions } = this.replica.state;
    return Object.hasOwn(functions, name) ? functions[name] : undefined;
  }

  commit<T>(change: (draft: RegistryState) => T, options: CommitOptions<T> = {}): Promise<{ value: T; revision: number }> {
    const run = this.commits.then(() => this.commitNow(change, options));
    this.commits = run.catch(() => undefined);
    return run;
  }

  private async commitNow<T>(change: (draft: RegistryState) => T, options: CommitOptions<T>): Promise<{ value: T; revision: number }> {
    const { consumes, beforeWrite } = options;
    for (let attempt = 1; ; attempt++) {
      if (this.closed) throw new NanoError('RegistryUnavailable', 'the registry is closed: this node is stopping');
      if (this.lostAt !== undefined) throw this.lostError(this.lostAt);
      if (consumes !== undefined && (await this.pending.get(consumes)) === undefined) throw pendingNotFound(consumes);
      const base = this.replica;
      const draft = structuredClone(base.state);
      const value = change(draft);
      await beforeWrite?.(value, draft);
      sealDraft(draft, base.state);
      const commitId = randomUUID();
      const write = commitWrite(base, draft, commitId, consumes, this.options.logLength ?? 10_000);
      let revision: number;
      try {
        revision = await runCommit(this.client, this.keys, write);
      } catch (error) {
        const message = error instanceof Error ? error.message : '';
        if (message.startsWith('GONE')) throw pendingNotFound(consumes!);
        if (!message.startsWith('CONFLICT')) throw registryUnavailable(this.target, error);
        if (attempt === MAX_ATTEMPTS) {
          throw new NanoError('DeployConflict', `the registry changed ${MAX_ATTEMPTS} times while this change was being made`, {
            hint: 'other deploys are landing right now; try again',
          });
        }
        await this.requestSync().catch((cause: unknown) => {
          throw registryUnavailable(this.target, cause);
        });
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 20 * attempt));
        continue;
      }
      // The replica takes its own commit at once, unless a read has brought it there already.
      await this.step(async () => {
        if (this.replica.revision < revision) await this.moveTo({ state: draft, revision, head: `${revision}:${commitId}` }, write.names);
      });
      return { value, revision };
    }
  }

  subscribe(listener: (change: RegistryChange) => Promise<void>): () => void {
    return this.feed.subscribe(listener);
  }

  /** This node's entry with its URL as soon as it is known (the socket listens), not at the next heartbeat. */
  async announce(): Promise<void> {
    await this.presence.report(this.revision, false).catch(() => undefined);
  }

  async nodes(): Promise<RegistryNode[]> {
    try {
      return await this.presence.live();
    } catch (cause) {
      throw registryUnavailable(this.target, cause);
    }
  }

  async converge(revision: number, timeoutMs: number): Promise<Convergence> {
    try {
      return await this.presence.converge(revision, timeoutMs);
    } catch (cause) {
      throw registryUnavailable(this.target, cause);
    }
  }

  private lostError(storeRevision: number): NanoError {
    return new NanoError(
      'RegistryUnavailable',
      `the registry at ${this.target.display} is at revision ${storeRevision}, behind this node's ${this.revision}: it lost commits`,
      {
        value: storeRevision,
        hint: 'restore it (`nano registry copy --from <a backup> --to …`) and restart the nodes, or restart them to serve the store as it is; until then this node serves what it has and takes no change',
      },
    );
  }

  lagMs(): number {
    return this.behindSince === undefined ? 0 : Date.now() - this.behindSince;
  }

  snapshot(): { state: RegistryState; revision: number } {
    return { state: structuredClone(this.replica.state), revision: this.replica.revision };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const timer of this.timers) clearInterval(timer);
    await this.commits;
    await this.steps;
    await this.invocations.flush();
    await this.presence.leave().catch(() => undefined);
    this.subscriber.disconnect();
    await this.client.quit().catch(() => this.client.disconnect());
  }
}
