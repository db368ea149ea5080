/**
 * Request ids (`x-nano-request-id`, the invocation log, `nano logs`): a counter makes them unique within
 * the process, and a random prefix drawn once at start tells processes apart (the nodes of a cluster
 * write one shared log). A counter costs a fraction of randomUUID(), which drew random bytes per request.
 */
import { randomBytes } from 'node:crypto';

/** 40 random bits as 8 base-36 digits: two nodes share a prefix once in about a trillion starts. */
const PREFIX = randomBytes(5).readUIntBE(0, 5).toString(36).padStart(8, '0');
let counter = 0;

/** `k3x9a2q7-1`, `k3x9a2q7-2`, … `k3x9a2q7-2s`: the prefix, then the counter in base 36. */
export function nextRequestId(): string {
  counter += 1;
  return `${PREFIX}-${counter.toString(36)}`;
}
