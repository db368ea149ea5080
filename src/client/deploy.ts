/**
 * A deploy, client side: a build's manifest → the platform.
 *
 * Strategy (the protocol of DESIGN.md, control-api.ts): send the manifest of
 * the functions with each artifact's sha256; the server answers which artifacts
 * it lacks; upload only those, each read from the build folder and re-hashed
 * here so that a build racing with the deploy cannot ship bytes that do not
 * match the manifest; then commit, which switches every function at once. An
 * unchanged project therefore costs three small requests and uploads nothing.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { sha256, type BuildManifest, type FunctionArtifact } from '../build/index.js';
import { NanoError } from '../errors.js';
import type { DeployCommitted, DeployFunction, DeployRequest } from '../server/control-api.js';
import type { ControlClient } from './control-client.js';

export interface DeployOptions {
  buildDir: string;
  manifest: BuildManifest;
  /** Deploy only these functions (and prune nothing); every function of the manifest otherwise. */
  only?: readonly string[];
  /** Descriptions by function name (the manifest carries none). */
  descriptions?: ReadonlyMap<string, string | undefined>;
  onProgress?: (event: DeployProgress) => void;
}

export type DeployProgress =
  | { phase: 'plan'; functions: number }
  | { phase: 'upload'; name: string; index: number; total: number; bytes: number }
  | { phase: 'commit' };

export interface DeployResult {
  id: string;
  /** The functions of the deployment (and those it pruned), as the server committed them. */
  functions: DeployCommitted['functions'];
  uploaded: { sha256: string; name: string; size: number; created: boolean }[];
  uploadedBytes: number;
}

function deployFunction(fn: FunctionArtifact, description: string | undefined): DeployFunction {
  return {
    name: fn.name,
    sha256: fn.sha256,
    size: fn.size,
    entry: fn.entry,
    limits: { ...fn.limits },
    routes: fn.routes.map((route) => ({ ...route })),
    ...(description === undefined ? {} : { description }),
    // Sent only when they say something, so an args deploy is what it always was.
    ...(fn.abi === 'wagi' ? { abi: fn.abi } : {}),
    ...(fn.env !== undefined && Object.keys(fn.env).length > 0 ? { env: { ...fn.env } } : {}),
  };
}

export async function deployBuild(client: ControlClient, options: DeployOptions): Promise<DeployResult> {
  const { manifest, only } = options;
  const selected = only?.length ? manifest.functions.filter((fn) => only.includes(fn.name)) : manifest.functions;
  const absent = (only ?? []).filter((name) => !selected.some((fn) => fn.name === name));
  if (absent.length > 0) {
    throw new NanoError('FunctionNotFound', `the build has no function ${absent.map((n) => `"${n}"`).join(', ')}`, {
      value: absent,
      hint: 'run `nano build` for it first',
    });
  }
  const request: DeployRequest = {
    service: manifest.service,
    stage: manifest.stage,
    functions: selected.map((fn) => deployFunction(fn, options.descriptions?.get(fn.name))),
    prune: !only?.length,
  };

  options.onProgress?.({ phase: 'plan', functions: request.functions.length });
  const plan = await client.planDeploy(request);

  const bySha = new Map(selected.map((fn) => [fn.sha256, fn]));
  const uploaded: DeployResult['uploaded'] = [];
  const missing = [...new Set(plan.missing)];
  for (const [index, sha] of missing.entries()) {
    const fn = bySha.get(sha);
    if (!fn) {
      throw new NanoError('RemoteError', `the server asked for an artifact that is not part of this deploy: ${sha}`, { value: sha });
    }
    options.onProgress?.({ phase: 'upload', name: fn.name, index, total: missing.length, bytes: fn.size });
    const bytes = await readArtifact(options.buildDir, fn);
    const stored = await client.uploadArtifact(sha, bytes);
    uploaded.push({ sha256: sha, name: fn.name, size: bytes.length, created: stored.created });
  }

  options.onProgress?.({ phase: 'commit' });
  const committed = await client.commitDeploy(plan.id);
  return {
    id: committed.id,
    functions: committed.functions,
    uploaded,
    uploadedBytes: uploaded.reduce((sum, item) => sum + item.size, 0),
  };
}

async function readArtifact(buildDir: string, fn: FunctionArtifact): Promise<Uint8Array> {
  const file = join(buildDir, fn.artifact);
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(file));
  } catch (cause) {
    throw new NanoError('ManifestInvalid', `cannot read the artifact of "${fn.name}" at ${file}`, {
      value: file,
      hint: 'run `nano build` again (did something delete .nano/build/ during the deploy?)',
      cause,
    });
  }
  if (sha256(bytes) !== fn.sha256) {
    throw new NanoError('ManifestInvalid', `the artifact of "${fn.name}" changed since it was built (${file})`, {
      value: file,
      hint: 'another build ran during the deploy; deploy again',
    });
  }
  return bytes;
}
