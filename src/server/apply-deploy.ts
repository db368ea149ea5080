/**
 * The pure half of a deploy: what a deploy request changes in the registry's
 * state, worked out on a draft (registry.commit hands one over). No I/O, no
 * executor: every conflict is found here, before anything is compiled or
 * written, and the result says which function switches to which version.
 */
import { NanoError } from '../errors.js';
import { nextVersion, type FunctionRecord, type RegistryState, type VersionRecord } from '../registry/index.js';
import { overlappingMethods } from '../config/index.js';
import type { DeployRequest, FunctionChange } from './control-api.js';

/** A version as the request describes it, before the registry numbers it. */
export type NewVersion = Omit<VersionRecord, 'version' | 'createdAt' | 'deployment'>;

export interface AppliedChange {
  name: string;
  version: number | null;
  change: FunctionChange;
}

export interface DeployToApply {
  id: string;
  request: DeployRequest;
  /** Each function's new version, checked already. */
  records: ReadonlyMap<string, { record: NewVersion }>;
  now: string;
  /** Functions whose current version does not run: they get a new version even from the same build. */
  unavailable: ReadonlyMap<string, string>;
}

function sameVersion(a: NewVersion, b: VersionRecord): boolean {
  const pick = (v: typeof a) =>
    JSON.stringify([v.sha256, v.entry, v.limits, v.routes, v.description ?? null, v.abi ?? 'args', Object.entries(v.env ?? {}).sort()]);
  return pick(a) === pick(b);
}

/** The current version's record, if it is on file (a hand-edited or damaged state may lack it). */
export function findCurrent(fn: FunctionRecord): VersionRecord | undefined {
  return Array.isArray(fn.versions) ? fn.versions.find((v) => v.version === fn.current) : undefined;
}

/** The current version's record, or FunctionUnavailable (503) naming what is missing. */
export function currentVersion(fn: FunctionRecord): VersionRecord {
  const found = findCurrent(fn);
  if (!found) {
    throw new NanoError('FunctionUnavailable', `the registry has no version ${String(fn.current)} of "${fn.name}", its current one`, {
      value: fn.name,
      hint: 'deploy the function again, or restore state.json from a backup',
    });
  }
  return found;
}

export function applyDeploy(draft: RegistryState, deploy: DeployToApply): AppliedChange[] {
  const { id, request, records, now, unavailable } = deploy;
  const changes: AppliedChange[] = [];
  for (const fn of request.functions) {
    const item = records.get(fn.name)!;
    const existing = Object.hasOwn(draft.functions, fn.name) ? draft.functions[fn.name] : undefined;
    if (existing && existing.service !== request.service) {
      throw new NanoError('DeployConflict', `function "${fn.name}" belongs to service "${existing.service}", not "${request.service}"`, {
        value: fn.name,
        hint: 'function names are global on a platform: rename it, or remove it from the other service first',
      });
    }
    // One platform serves one stage of a function: a name is global, so --stage prod must not
    // quietly take over the dev deployment's functions.
    if (existing && existing.stage !== request.stage) {
      throw new NanoError('DeployConflict', `function "${fn.name}" is deployed for stage "${existing.stage}", not "${request.stage}"`, {
        value: fn.name,
        hint: 'deploy each stage to its own platform (provider.url: ${env:NANO_URL}), or remove the other stage first',
      });
    }
    // An unavailable function gets a new version even from the same build: the old one does not run.
    if (existing && !unavailable.has(fn.name) && sameVersion(item.record, currentVersion(existing))) {
      changes.push({ name: fn.name, version: existing.current, change: 'unchanged' });
      continue;
    }
    // Never a number this name had before, even if it was removed since (v4 removed → v5).
    const version = nextVersion(draft, fn.name);
    const record: VersionRecord = { ...item.record, version, createdAt: now, deployment: id };
    if (existing) {
      existing.versions.push(record);
      existing.current = version;
      existing.updatedAt = now;
    } else {
      draft.functions[fn.name] = {
        name: fn.name,
        service: request.service,
        stage: request.stage,
        current: version,
        updatedAt: now,
        versions: [record],
      };
    }
    changes.push({ name: fn.name, version, change: existing ? 'updated' : 'created' });
  }
  if (request.prune) {
    const kept = new Set(request.functions.map((fn) => fn.name));
    for (const fn of Object.values(draft.functions)) {
      if (fn.service === request.service && fn.stage === request.stage && !kept.has(fn.name)) {
        delete draft.functions[fn.name];
        changes.push({ name: fn.name, version: null, change: 'removed' });
      }
    }
  }
  assertRoutesUnique(draft);
  // The history keeps what changed: a redeploy of a project of 10,000 functions that changes one would
  // otherwise add 10,000 "unchanged" entries to the state, and the state keeps the last 50 deployments.
  draft.deployments.push({ id, at: now, service: request.service, changes: changes.filter((c) => c.change !== 'unchanged') });
  return changes;
}

export function assertRoutesUnique(state: RegistryState): void {
  const owners = new Map<string, string>();
  for (const fn of Object.values(state.functions)) {
    // A damaged record (no current version on file) serves no route: it cannot clash.
    for (const route of findCurrent(fn)?.routes ?? []) {
      const methods = overlappingMethods(route.method);
      for (const method of methods) {
        const owner = owners.get(`${method} ${route.path}`);
        if (owner && owner !== fn.name) {
          throw new NanoError('DeployConflict', `route ${route.method} ${route.path} of "${fn.name}" is already served by "${owner}"`, {
            value: route.path,
          });
        }
      }
      owners.set(`${route.method} ${route.path}`, fn.name);
    }
  }
}
