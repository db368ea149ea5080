/**
 * Module bytes made ready for the executor, checked exactly as the builder
 * checks them: the server never trusts a client's build, nor what its registry
 * holds (written by an older nano, edited by hand, damaged on disk).
 */
import { checkModule, type FunctionArtifact, type ModuleInfo } from '../build/index.js';
import { NanoError } from '../errors.js';
import type { Artifacts, VersionRecord } from '../registry/index.js';
import type { DeployItem } from '../runtime/index.js';
import type { NewVersion } from './apply-deploy.js';
import type { DeployFunction, DeployRequest } from './control-api.js';

/** A function of a deploy request, checked, with the version record it will get. */
export interface Prepared {
  record: NewVersion;
  checked: ModuleInfo;
}

/** The manifest entry the executor wants, rebuilt from a stored version. */
function toArtifact(name: string, version: VersionRecord, checked: ModuleInfo): FunctionArtifact {
  return {
    name,
    artifact: `${version.sha256}.wasm`,
    sha256: version.sha256,
    size: version.size,
    source: '',
    inputHash: version.sha256,
    entry: version.entry,
    signature: checked.signature,
    imports: checked.imports,
    memory: checked.memory,
    limits: version.limits,
    routes: version.routes,
    abi: version.abi ?? 'args',
    env: { ...version.env },
  };
}

function checkOrThrow(name: string, bytes: Uint8Array, fn: Pick<DeployFunction, 'entry' | 'limits' | 'abi'>): ModuleInfo {
  const check = checkModule(bytes, { name, entry: fn.entry, limits: fn.limits, abi: fn.abi ?? 'args' });
  if (!check.ok) {
    throw new NanoError('ModuleRefused', `function "${name}" is refused: it ${check.errors.join('; it ')}`, {
      value: name,
      hint: 'run `nano build` to see the same checks locally',
    });
  }
  return check.info;
}

/** The executor's item for a stored version, its bytes re-read, re-hashed and re-checked. */
export async function prepareStored(artifacts: Artifacts, name: string, version: VersionRecord): Promise<DeployItem> {
  const bytes = await artifacts.get(version.sha256);
  const checked = checkOrThrow(name, bytes, version);
  return { fn: toArtifact(name, version, checked), bytes: checked.bytes, version: version.version };
}

/** The executor's item for a version a deploy just numbered, from its checked bytes. */
export function itemOf(name: string, version: VersionRecord, prepared: Prepared): DeployItem {
  return { fn: toArtifact(name, version, prepared.checked), bytes: prepared.checked.bytes, version: version.version };
}

/** Checks every artifact of a deploy request, before anything changes. */
export async function prepareRequest(artifacts: Artifacts, request: DeployRequest): Promise<Map<string, Prepared>> {
  const prepared = new Map<string, Prepared>();
  for (const fn of request.functions) {
    let bytes: Uint8Array;
    try {
      bytes = await artifacts.get(fn.sha256);
    } catch {
      throw new NanoError('RequestInvalid', `the artifact of function "${fn.name}" (${fn.sha256}) was not uploaded`, {
        value: fn.sha256,
        hint: 'upload it with PUT /artifacts/<sha256> before committing',
      });
    }
    const checked = checkOrThrow(fn.name, bytes, fn);
    prepared.set(fn.name, {
      checked,
      record: {
        sha256: fn.sha256,
        size: bytes.length,
        entry: fn.entry,
        signature: checked.signature,
        limits: fn.limits,
        routes: fn.routes,
        ...(fn.description === undefined ? {} : { description: fn.description }),
        ...(fn.abi === 'wagi' ? { abi: fn.abi } : {}),
        ...(fn.env !== undefined && Object.keys(fn.env).length > 0 ? { env: { ...fn.env } } : {}),
      },
    });
  }
  return prepared;
}
