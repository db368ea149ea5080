// Deploying to a running `nano server` the way `nano deploy` does, spoken directly (see
// src/server/control-api.ts and test/helpers/platform.ts deploy()):
//   POST /deployments {service, stage, prune, functions:[{name, sha256, size, entry, limits, routes}]} → {id, missing}
//   PUT  /artifacts/<sha256> (the wasm bytes, for each sha256 in `missing`)
//   POST /deployments/<id>/commit → {id, functions:[{name, version, change, url}], revision?, convergence?}
// The server is on loopback with no token, so no Authorization header. Modules are one-line WAT compiled
// with wabt (as bench/lib/big-module.js does): `_start` returning a constant, so every deploy of a new
// constant is a new module, and the body tells which version answered.
import { createHash } from 'node:crypto';
import { Buffer } from 'node:buffer';
import { request } from './http.js';
import { watToWasm } from './big-module.js';

/** A module whose `_start` returns `value` (an i32). */
export async function constantWasm(value) {
  return Buffer.from(await watToWasm('constant.wat', `(module (func (export "_start") (result i32) i32.const ${value}))`));
}

/** The limits of every function the bench deploys: a long cacheTtl, so nothing goes cold during a load run. */
export const LIMITS = { memoryPages: 1, timeoutMs: 5000, cacheTtlMs: 600_000, concurrency: null };

async function json(res, what) {
  if (res.status < 200 || res.status >= 300) throw new Error(`${what}: ${res.status} ${res.body.slice(0, 300)}`);
  return JSON.parse(res.body);
}

/**
 * Plans and uploads one function `name` = `bytes` at `origin`; returns { id, commit(options) }, commit()
 * sending POST /deployments/<id>/commit and resolving with the parsed answer. Split so that a caller can
 * time the commit alone.
 */
export async function prepareDeploy(origin, { name, bytes, service = 'bench-scale-out', stage = 'dev', agent }) {
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const body = JSON.stringify({
    service,
    stage,
    prune: true,
    functions: [{ name, sha256, size: bytes.length, entry: '_start', limits: LIMITS, routes: [] }],
  });
  const plan = await json(
    await request(`${origin}/deployments`, { method: 'POST', body, headers: { 'content-type': 'application/json' }, agent }),
    `POST ${origin}/deployments`,
  );
  for (const missing of plan.missing) {
    if (missing !== sha256) throw new Error(`POST /deployments asked for an artifact the bench did not plan: ${missing}`);
    await json(
      await request(`${origin}/artifacts/${sha256}`, {
        method: 'PUT',
        body: bytes,
        headers: { 'content-type': 'application/wasm' },
        agent,
      }),
      `PUT /artifacts/${sha256}`,
    );
  }
  return {
    id: plan.id,
    commit: async (options = {}) =>
      json(await request(`${origin}/deployments/${plan.id}/commit`, { method: 'POST', agent, timeoutMs: 30_000, ...options }), 'commit'),
  };
}

/** The whole protocol in one call: the commit's answer. */
export async function deploy(origin, spec) {
  return (await prepareDeploy(origin, spec)).commit();
}
