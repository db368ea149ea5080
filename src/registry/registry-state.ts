/**
 * Rules on the registry's state that every store applies the same way: version
 * numbers are never reused for a name, old versions are trimmed, the deployment
 * history is capped, and which functions a commit changed.
 *
 * Version numbers: every commit records, with the state, the highest number each
 * name has had (`lastVersions`), so removing a function and deploying it again
 * continues its numbering.
 */
import type { RegistryState } from './types.js';

export const MAX_VERSIONS = 20;
export const MAX_DEPLOYMENTS = 50;

export function emptyState(): RegistryState {
  return { format: 1, functions: {}, lastVersions: {}, deployments: [] };
}

export function isEmptyState(state: RegistryState): boolean {
  return [state.functions, state.lastVersions, state.deployments].every((part) => Object.keys(part).length === 0);
}

function lastVersionOf(state: RegistryState, name: string): number {
  return Object.hasOwn(state.lastVersions, name) ? (state.lastVersions[name] ?? 0) : 0;
}

/** The number the next version of `name` gets: one above any it has ever had, even if it was removed since. */
export function nextVersion(state: RegistryState, name: string): number {
  const fn = Object.hasOwn(state.functions, name) ? state.functions[name] : undefined;
  return Math.max(lastVersionOf(state, name), ...(fn?.versions.map((v) => v.version) ?? [])) + 1;
}

/** Raises `state.lastVersions` to cover every version the state holds, and every number `before` had given. */
export function recordLastVersions(state: RegistryState, before?: RegistryState): void {
  for (const [name, last] of Object.entries(before?.lastVersions ?? {})) {
    state.lastVersions[name] = Math.max(lastVersionOf(state, name), last);
  }
  for (const fn of Object.values(state.functions)) {
    state.lastVersions[fn.name] = Math.max(lastVersionOf(state, fn.name), ...fn.versions.map((v) => v.version));
  }
}

/** What a commit does to a changed draft before it is written: numbers recorded, versions trimmed, history capped. */
export function sealDraft(draft: RegistryState, before: RegistryState): void {
  // Before the old versions are dropped: the highest number of each name, removed ones included.
  recordLastVersions(draft, before);
  for (const fn of Object.values(draft.functions)) {
    // Keep the newest versions, and the current one whatever its age.
    if (fn.versions.length > MAX_VERSIONS) {
      fn.versions = fn.versions.filter((v, i) => i >= fn.versions.length - MAX_VERSIONS || v.version === fn.current);
    }
  }
  draft.deployments = draft.deployments.slice(-MAX_DEPLOYMENTS);
}

/** The functions created, changed or removed from `before` to `after`, sorted. */
export function changedNames(before: RegistryState, after: RegistryState): string[] {
  const names = new Set([...Object.keys(before.functions), ...Object.keys(after.functions)]);
  const json = (state: RegistryState, name: string) =>
    Object.hasOwn(state.functions, name) ? JSON.stringify(state.functions[name]) : undefined;
  return [...names].filter((name) => json(before, name) !== json(after, name)).sort();
}
