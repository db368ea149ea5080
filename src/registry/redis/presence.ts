/**
 * Which nodes share a Redis registry, and how far each has got. Every node
 * writes `{ url, revision, at }` into one hash when it applies a revision and
 * on a heartbeat; a node not heard from for NODE_TTL_MS is not counted. After
 * applying a revision a node also publishes an ack, which the node that made
 * the commit waits for to report convergence ("live on 3/3 nodes in 9 ms").
 */
import { randomUUID } from 'node:crypto';
import type { Convergence, RegistryNode } from '../registry-store.js';
import type { RegistryKeys } from './keys.js';
import type { Redis } from './connection.js';

export const HEARTBEAT_MS = 2000;
export const NODE_TTL_MS = 10_000;

interface Ack {
  node: string;
  revision: number;
}

/** Deletes a node's entry only if this process wrote it (a restarted node with the same id may have since). */
const LEAVE = `
local entry = redis.call('HGET', KEYS[1], ARGV[1])
if entry and string.find(entry, ARGV[2], 1, true) then return redis.call('HDEL', KEYS[1], ARGV[1]) end
return 0
`;

export class Presence {
  private readonly ackListeners = new Set<(ack: Ack) => void>();
  /** This process among the entries written under its node id. */
  private readonly instance = randomUUID();

  constructor(
    private readonly client: Redis,
    private readonly keys: RegistryKeys,
    readonly nodeId: string,
    private readonly url: () => string,
  ) {}

  /** Records this node's revision; with `ack`, also tells the nodes waiting for convergence. */
  async report(revision: number, ack: boolean): Promise<void> {
    const entry = JSON.stringify({ url: this.url(), revision, at: Date.now(), instance: this.instance });
    await this.client.hset(this.keys.nodes, this.nodeId, entry);
    if (ack) await this.client.publish(this.keys.acks, JSON.stringify({ node: this.nodeId, revision } satisfies Ack));
  }

  /** An ack published by any node (the subscriber connection hands them here). */
  onAck(message: string): void {
    let ack: Ack;
    try {
      ack = JSON.parse(message) as Ack;
    } catch {
      return;
    }
    for (const listener of this.ackListeners) listener(ack);
  }

  async live(): Promise<RegistryNode[]> {
    const entries = await this.client.hgetall(this.keys.nodes);
    const now = Date.now();
    const nodes: RegistryNode[] = [];
    for (const [id, json] of Object.entries(entries)) {
      try {
        const { url, revision, at } = JSON.parse(json) as { url: string; revision: number; at: number };
        if (now - at <= NODE_TTL_MS) nodes.push({ id, url, revision });
      } catch {
        // An entry written by something else is not a node.
      }
    }
    return nodes.sort((a, b) => a.id.localeCompare(b.id));
  }

  async converge(revision: number, timeoutMs: number): Promise<Convergence> {
    const started = performance.now();
    const waiting = new Set<string>();
    // Acks heard before the nodes are read: that read (on another connection) may still show such a node
    // at an older revision.
    const acked = new Set<string>();
    let done: () => void = () => undefined;
    const finished = new Promise<void>((resolve) => (done = resolve));
    // Listening before the nodes are read: an ack sent in between is not missed.
    const listener = (ack: Ack) => {
      if (ack.revision < revision) return;
      acked.add(ack.node);
      if (waiting.delete(ack.node) && waiting.size === 0) done();
    };
    this.ackListeners.add(listener);
    try {
      const nodes = await this.live();
      for (const node of nodes) {
        if (node.revision < revision && node.id !== this.nodeId && !acked.has(node.id)) waiting.add(node.id);
      }
      if (waiting.size > 0) {
        const timer = setTimeout(done, timeoutMs);
        await finished;
        clearTimeout(timer);
      }
      const ms = Math.round((performance.now() - started) * 10) / 10;
      return { revision, nodes: nodes.length, converged: nodes.length - waiting.size, ms, lagging: [...waiting].sort() };
    } finally {
      this.ackListeners.delete(listener);
    }
  }

  async leave(): Promise<void> {
    await this.client.eval(LEAVE, 1, this.keys.nodes, this.nodeId, `"instance":"${this.instance}"`);
  }
}
