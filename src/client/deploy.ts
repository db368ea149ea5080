/**
 * A deploy, client side: a build's manifest → the platform.
 *
 * Strategy (the protocol of DESIGN.md, control-api.ts): send the manifest of
 * the functions with each artifact's sha256; the server answers which artifacts
 * it lacks; upload only those, taken from the build itself (never read again
 * from `.nano/build/`, which a concurrent build may be swapping) and re-hashed
 * so that no bytes but the manifest's ever leave; then commit, which switches every function at once. An
 * unchanged project therefore costs three small requests and uploads nothing.
 */
import { sha256 } from '../build/hash.js';
import type { BuildResult } from '../build/index.js';
import type { FunctionArtifact } from '../build/manifest.js';
import { NanoError } from '../errors.js';
import type { Convergence, DeployCommitted, DeployFunction, DeployRequest } from '../server/control-api.js';
import type { ControlClient } from './control-client.js';

export interface DeployOptions {
  /** The build to ship: its manifest and the bytes of its artifacts. */
  build: Pick<BuildResult, 'manifest' | 'artifacts'>;
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
  /** The registry revision the deploy made, and how far it had spread when the server answered. */
  revision?: number;
  convergence?: Convergence;
}

/** Artifacts uploaded at once. */
export const UPLOAD_CONCURRENCY = 8;

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
  const { build, only } = options;
  const { manifest } = build;
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
  const missing = [...new Set(plan.missing)];
  // Every artifact is checked before the first byte leaves: a stray sha256 or a stale build uploads nothing.
  const uploads = missing.map((sha) => {
    const fn = bySha.get(sha);
    if (!fn) {
      throw new NanoError('RemoteError', `the server asked for an artifact that is not part of this deploy: ${sha}`, { value: sha });
    }
    return { sha, fn, bytes: artifactOf(build, fn) };
  });
  // A few at a time: each upload is a small request the server makes durable (an fsync) on its own, so a
  // project of 10,000 functions would otherwise wait for 10,000 round trips and fsyncs one after the other.
  const uploaded: DeployResult['uploaded'] = new Array(uploads.length);
  let next = 0;
  let failed = false;
  const uploader = async () => {
    while (!failed && next < uploads.length) {
      const index = next++;
      const { sha, fn, bytes } = uploads[index]!;
      options.onProgress?.({ phase: 'upload', name: fn.name, index, total: uploads.length, bytes: fn.size });
      try {
        const stored = await client.uploadArtifact(sha, bytes);
        uploaded[index] = { sha256: sha, name: fn.name, size: bytes.length, created: stored.created };
      } catch (error) {
        failed = true; // the others stop after the upload they are in
        throw error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(UPLOAD_CONCURRENCY, uploads.length) }, uploader));

  options.onProgress?.({ phase: 'commit' });
  const committed = await client.commitDeploy(plan.id);
  return {
    id: committed.id,
    functions: committed.functions,
    uploaded,
    uploadedBytes: uploaded.reduce((sum, item) => sum + item.size, 0),
    ...(committed.revision === undefined ? {} : { revision: committed.revision }),
    ...(committed.convergence === undefined ? {} : { convergence: committed.convergence }),
  };
}

function artifactOf(build: DeployOptions['build'], fn: FunctionArtifact): Uint8Array {
  const bytes = build.artifacts.get(fn.name);
  if (bytes === undefined || sha256(bytes) !== fn.sha256) {
    throw new NanoError('ManifestInvalid', `the build's bytes for "${fn.name}" do not match its manifest (sha256 ${fn.sha256})`, {
      value: fn.name,
      hint: 'build again and deploy the result of that build',
    });
  }
  return bytes;
}
