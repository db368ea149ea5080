/**
 * A real `nano server` process on port 0 with a temp data folder, and the
 * deploy protocol spoken directly over HTTP (what the CLI does, step by step),
 * for the server-side tests.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BuildResult } from '../../src/build/index.js';
import type { DeployCommitted, DeployPlan, DeployRequest } from '../../src/server/index.js';
import { startCli, type CliProcess } from './cli-process.js';
import { tempProject } from './project.js';

export const TOKEN = 'test-token-123';

export interface RunningServer {
  url: string;
  dataDir: string;
  process: CliProcess;
}

export async function startServer(
  options: { dataDir?: string; token?: string | null; env?: NodeJS.ProcessEnv; args?: string[] } = {},
): Promise<RunningServer> {
  const dataDir = options.dataDir ?? join(await tempProject(), 'data');
  const token = options.token === undefined ? TOKEN : options.token;
  const args = [
    'server',
    '--port',
    '0',
    '--data',
    dataDir,
    '--workers',
    '2',
    ...(token ? ['--token', token] : []),
    // No load balancer watches a test's server: stopping it need not wait the default drain delay (5 s).
    ...(options.args?.includes('--drain-delay') ? [] : ['--drain-delay', '0']),
    ...(options.args ?? []),
  ];
  const process = startCli(args, { env: { NANO_TOKEN: '', ...options.env } });
  const [, url] = await process.waitFor(/listening on (http:\/\/127\.0\.0\.1:\d+)/);
  return { url: url!, dataDir, process };
}

export function authHeaders(token: string | undefined = TOKEN): Record<string, string> {
  return token ? { authorization: `Bearer ${token}` } : {};
}

export function deployRequest(built: BuildResult, prune = true): DeployRequest {
  return {
    service: built.manifest.service,
    stage: built.manifest.stage,
    prune,
    functions: built.manifest.functions.map((fn) => ({
      name: fn.name,
      sha256: fn.sha256,
      size: fn.size,
      entry: fn.entry,
      limits: fn.limits,
      routes: fn.routes,
      ...(fn.abi === undefined ? {} : { abi: fn.abi }),
      ...(fn.env === undefined ? {} : { env: fn.env }),
    })),
  };
}

export async function plan(url: string, request: DeployRequest, token: string | undefined = TOKEN): Promise<Response> {
  return fetch(`${url}/deployments`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...authHeaders(token) },
    body: JSON.stringify(request),
  });
}

export async function upload(url: string, sha256: string, bytes: Uint8Array, token: string | undefined = TOKEN): Promise<Response> {
  return fetch(`${url}/artifacts/${sha256}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/wasm', ...authHeaders(token) },
    body: bytes,
  });
}

export async function commit(url: string, id: string, token: string | undefined = TOKEN): Promise<Response> {
  return fetch(`${url}/deployments/${id}/commit`, { method: 'POST', headers: authHeaders(token) });
}

/** The whole protocol: plan, upload what is missing, commit. Returns the commit's body and the bytes sent. */
export async function deploy(url: string, built: BuildResult): Promise<{ committed: DeployCommitted; uploadedBytes: number }> {
  const planned = await plan(url, deployRequest(built));
  if (planned.status !== 200) throw new Error(`plan failed: ${planned.status} ${await planned.text()}`);
  const { id, missing } = (await planned.json()) as DeployPlan;
  let uploadedBytes = 0;
  for (const sha256 of missing) {
    const fn = built.manifest.functions.find((item) => item.sha256 === sha256)!;
    const bytes = new Uint8Array(await readFile(join(built.buildDir, fn.artifact)));
    const stored = await upload(url, sha256, bytes);
    if (!stored.ok) throw new Error(`upload failed: ${stored.status} ${await stored.text()}`);
    uploadedBytes += bytes.length;
  }
  const done = await commit(url, id);
  if (done.status !== 200) throw new Error(`commit failed: ${done.status} ${await done.text()}`);
  return { committed: (await done.json()) as DeployCommitted, uploadedBytes };
}
