// One-off HTTP requests from the bench process itself (readiness polls, cold-start samples, the stuck
// keeper). Loopback only; every request has a timeout. Latency is measured with hrtime, in ms.
import { URL } from 'node:url';
import process from 'node:process';
import { Buffer } from 'node:buffer';
import { setTimeout } from 'node:timers';
import http from 'node:http';

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

export function assertLoopback(url) {
  const { hostname } = new URL(url);
  if (!LOOPBACK.has(hostname)) throw new Error(`bench only talks to loopback addresses, refusing ${url}`);
}

/** A keep-alive agent: callers that want to measure without TCP connects share one. */
export function keepAliveAgent(maxSockets = 8) {
  return new http.Agent({ keepAlive: true, maxSockets });
}

/**
 * GET (or `method`, with an optional `body` and `headers`) url → { status, headers, body, ms }. Rejects on
 * network errors and after timeoutMs.
 */
export function request(url, { method = 'GET', agent, timeoutMs = 10_000, body, headers } = {}) {
  assertLoopback(url);
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const req = http.request(url, { method, agent, headers, timeout: timeoutMs }, (res) => {
      const chunks = [];
      res.on('data', (chunk) => chunks.push(chunk));
      res.on('end', () => {
        const ms = Number(process.hrtime.bigint() - start) / 1e6;
        resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString('utf8'), ms });
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${url}: no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}

export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
