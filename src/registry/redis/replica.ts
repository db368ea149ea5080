/**
 * This node's copy of a Redis registry's state, and the pure steps between it
 * and the store: what a read brings it to, and what a commit writes.
 */
import { NanoError } from '../../errors.js';
import { changedNames, emptyState } from '../registry-state.js';
import type { DeploymentRecord, FunctionRecord, RegistryState } from '../types.js';
import type { CommitWrite, ReadResult } from './scripts.js';

export interface Replica {
  state: RegistryState;
  revision: number;
  /** "<revision>:<commit id>" of the commit that made it; "" when empty. */
  head: string;
}

export const EMPTY_REPLICA: Replica = { state: emptyState(), revision: 0, head: '' };

export function revisionOf(head: string): number {
  const revision = Number(head.slice(0, head.indexOf(':')));
  return Number.isSafeInteger(revision) && revision >= 0 ? revision : 0;
}

function parseRecord(name: string, json: string): FunctionRecord {
  try {
    return JSON.parse(json) as FunctionRecord;
  } catch (cause) {
    throw new NanoError('RequestInvalid', `the registry's record of ${name} is not JSON`, { value: name, cause });
  }
}

function parseDeployments(json: string): DeploymentRecord[] {
  const parsed = JSON.parse(json) as unknown;
  return Array.isArray(parsed) ? (parsed as DeploymentRecord[]) : [];
}

function pairs(flat: string[]): [string, string][] {
  const out: [string, string][] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) out.push([flat[i]!, flat[i + 1]!]);
  return out;
}

/**
 * The replica a read brings `from` to, and the functions that changed on the way; undefined when
 * there is nothing new. A whole-state read is compared with `from` to find the names.
 */
export function advance(from: Replica, read: ReadResult): { replica: Replica; names: string[] } | undefined {
  if (read.kind === 'EMPTY' || read.kind === 'CURRENT') return undefined;
  const revision = revisionOf(read.head);
  if (read.kind === 'WHOLE') {
    const state = emptyState();
    for (const [name, json] of pairs(read.functions)) state.functions[name] = parseRecord(name, json);
    for (const [name, last] of pairs(read.last)) state.lastVersions[name] = Number(last);
    state.deployments = parseDeployments(read.deploymentsJson);
    return { replica: { state, revision, head: read.head }, names: changedNames(from.state, state) };
  }
  const state = structuredClone(from.state);
  read.names.forEach((name, i) => {
    const json = read.records[i];
    if (json === null || json === undefined) delete state.functions[name];
    else state.functions[name] = parseRecord(name, json);
    const last = read.last[i];
    if (last !== null && last !== undefined) state.lastVersions[name] = Number(last);
  });
  state.deployments = parseDeployments(read.deploymentsJson);
  return { replica: { state, revision, head: read.head }, names: changedNames(from.state, state) };
}

/** What a commit of `draft` (sealed) over `base` writes. */
export function commitWrite(
  base: Replica,
  draft: RegistryState,
  commitId: string,
  consumes: string | undefined,
  logLength: number,
): CommitWrite {
  const names = changedNames(base.state, draft);
  const set: [string, string][] = [];
  const del: string[] = [];
  for (const name of names) {
    if (Object.hasOwn(draft.functions, name)) set.push([name, JSON.stringify(draft.functions[name])]);
    else del.push(name);
  }
  const last = Object.entries(draft.lastVersions)
    .filter(([name, version]) => base.state.lastVersions[name] !== version)
    .map(([name, version]): [string, string] => [name, String(version)]);
  return {
    expectedRevision: base.revision,
    commitId,
    consumes,
    set,
    del,
    last,
    deploymentsJson: JSON.stringify(draft.deployments),
    names,
    logLength,
  };
}
