/**
 * The platform's default size limits, in a file of their own so that the CLI
 * can print them in `--help` without loading the server.
 */

/** Largest request body a wagi function accepts (`--max-body-size`); beyond it, 413. */
export const DEFAULT_MAX_BODY_BYTES = 8 * 1024 * 1024;

/**
 * Most functions one deploy may carry (POST /deployments): one `nano deploy` of a project of 10,000
 * functions must go through as one atomic commit. The server holds every module of a commit at once
 * while it checks them (validated, not compiled: a module is compiled on its first call).
 */
export const MAX_DEPLOY_FUNCTIONS = 10_000;

/**
 * Largest JSON body of the control plane (a deploy manifest, a rollback request), read whole before it
 * is parsed. A manifest entry is ~220 bytes (name, sha256, limits, no routes): 10,000 functions make
 * ~2.2 MB; 8 MiB (the default artifact limit, ~840 bytes a function at 10,000) leaves room for routes
 * and short descriptions. Only a holder of the control token can send one.
 */
export const MAX_CONTROL_JSON_BYTES = 8 * 1024 * 1024;

/** Largest artifact a deploy may upload (`--max-artifact-size`); beyond it, 413. */
export const DEFAULT_MAX_ARTIFACT_BYTES = 8 * 1024 * 1024;

/**
 * Bytes of request bodies the server holds at once, all requests together (`--max-body-bytes-in-flight`);
 * beyond it, 503 Overloaded. 256 MiB is 32 bodies at the default 8 MiB limit — more than the workers of
 * any usual machine, so full-size bodies still queue 32 deep — while the main thread stays well inside a
 * small container's memory even if a queued call also holds the encoded copy of its body (executor.ts,
 * encodeRequest): under 512 MiB, where 1024 queued 8 MiB bodies made 8 GiB and more. Bodies of a few KiB
 * never meet it: 256 MiB holds 65,536 of 4 KiB, far more than the 1024 calls the queue takes. It is a
 * fixed amount, not a multiple of --max-body-size, because it stands for the machine's memory, not for
 * one request's size (32 × a 1 GiB --max-body-size would bound nothing).
 */
export const DEFAULT_MAX_BODY_BYTES_IN_FLIGHT = 256 * 1024 * 1024;

/** The budget when none is given: the default, or the largest single body if that is larger (else it could never be accepted). */
export function defaultBodyBytesInFlight(...largestBodies: number[]): number {
  return Math.max(DEFAULT_MAX_BODY_BYTES_IN_FLIGHT, ...largestBodies);
}

/**
 * What one connection may hold on to (`nano server --headers-timeout` and friends; `nano dev`
 * uses the defaults). Node's own defaults suit a process behind a proxy, not one facing clients:
 * 60 s for headers, 300 s for a request, no connection cap, and timeouts checked only every 30 s.
 */
export interface ConnectionLimits {
  /** Request line and headers must arrive within this (ms), from the accept or the previous response; else 408. */
  headersTimeoutMs: number;
  /** The whole request, body included, must arrive within this (ms); else 408. The function's run is not part of it. */
  requestTimeoutMs: number;
  /** An idle keep-alive connection is closed after this (ms). */
  keepAliveTimeoutMs: number;
  /** Connections beyond this many are closed as soon as they are accepted. */
  maxConnections: number;
}

/**
 * 10 s for headers: a real client sends them in one packet, so this only bounds slow-loris clients
 * (nginx's client_header_timeout is 60 s, but nginx costs far less per idle connection).
 * 60 s for the whole request: the default 8 MiB body then needs a client uplink of ~1.2 Mbit/s;
 * raise it together with --max-body-size or --max-artifact-size. 5 s keep-alive: Node's default, long
 * enough for a client's next request in a burst. 1024 connections: the executor queues at most
 * 1024 calls, so connections past that could only wait or idle, each holding a socket.
 */
/**
 * How often a sweep checks connections against a timeout: a quarter of it, so a timeout is
 * enforced at most 25% late, between 10 ms and 1 s (Node's own default is every 30 s).
 */
export function sweepIntervalMs(timeoutMs: number): number {
  return Math.min(1_000, Math.max(10, Math.floor(timeoutMs / 4)));
}

export const DEFAULT_CONNECTION_LIMITS: Readonly<ConnectionLimits> = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 60_000,
  keepAliveTimeoutMs: 5_000,
  maxConnections: 1024,
};

/**
 * How long a draining `nano server` keeps serving, not ready, before it stops accepting (SIGTERM,
 * drain.ts). A load balancer notices a failed readiness probe after a couple of intervals of 1–2 s,
 * and Kubernetes takes a few seconds to remove an endpoint (kubernetes/kubernetes#67592): 5 s covers
 * both, and costs 5 s per restart.
 */
export const DEFAULT_DRAIN_DELAY_MS = 5_000;

/**
 * How long it then waits for the requests in flight. A fixed bound rather than one derived from the
 * deployed functions: the orchestrator's grace period (Kubernetes: terminationGracePeriodSeconds) is
 * fixed too and must cover delay + timeout, 35 s by default (more than Kubernetes' default 30 s). 30 s is six default function timeouts
 * (5 s), room for a queue to empty; raise it, with the grace period, for functions that run longer.
 */
export const DEFAULT_DRAIN_TIMEOUT_MS = 30_000;

/** `--converge-timeout`: how long a deploy, rollback or remove waits for the other nodes to apply it. */
export const DEFAULT_CONVERGE_TIMEOUT_MS = 2000;

/**
 * `--max-lag`: a node that has known of a newer revision than it serves for longer than this is not
 * ready (`/healthz/ready` 503), so the load balancer sends elsewhere while it fetches and compiles.
 */
export const DEFAULT_MAX_LAG_MS = 3000;
