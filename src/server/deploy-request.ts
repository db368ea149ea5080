/**
 * Validation of a deploy request body (POST /deployments) with ajv: a client
 * is never trusted, so its manifest is checked for shape before anything is
 * looked up, and every problem is named in one 400.
 */
import { Ajv } from 'ajv';
import { NanoError } from '../errors.js';
import type { DeployRequest } from './control-api.js';
import { MAX_DEPLOY_FUNCTIONS } from './limits.js';
import { FUNCTION_NAME, HTTP_METHODS, LIMIT_BOUNDS, ROUTE_PATH_PATTERN, reservedPrefixOf } from '../config/index.js';

const NAME = FUNCTION_NAME.source;

/** nano.yml's bounds (config/limits.ts), not restated: what resolves deploys. */
const bounded = (key: keyof typeof LIMIT_BOUNDS) => ({
  type: 'integer',
  minimum: LIMIT_BOUNDS[key].min,
  maximum: LIMIT_BOUNDS[key].max,
});

const limits = {
  type: 'object',
  additionalProperties: false,
  required: ['memoryPages', 'timeoutMs', 'cacheTtlMs', 'concurrency'],
  properties: {
    memoryPages: bounded('memoryPages'),
    timeoutMs: bounded('timeoutMs'),
    cacheTtlMs: bounded('cacheTtlMs'),
    concurrency: { anyOf: [{ type: 'null' }, bounded('concurrency')] },
  },
};

const route = {
  type: 'object',
  additionalProperties: false,
  required: ['method', 'path'],
  properties: {
    method: { enum: [...HTTP_METHODS] },
    path: { type: 'string', pattern: ROUTE_PATH_PATTERN },
  },
};

const schema = {
  type: 'object',
  additionalProperties: false,
  required: ['service', 'stage', 'functions', 'prune'],
  properties: {
    service: { type: 'string', pattern: NAME },
    stage: { type: 'string', minLength: 1, maxLength: 64 },
    prune: { type: 'boolean' },
    functions: {
      type: 'array',
      maxItems: MAX_DEPLOY_FUNCTIONS,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'sha256', 'size', 'entry', 'limits', 'routes'],
        properties: {
          name: { type: 'string', pattern: NAME },
          sha256: { type: 'string', pattern: '^[0-9a-f]{64}$' },
          size: { type: 'integer', minimum: 0 },
          entry: { type: 'string', minLength: 1, maxLength: 256 },
          description: { type: 'string', maxLength: 1000 },
          limits,
          routes: { type: 'array', items: route, maxItems: 100 },
          abi: { enum: ['args', 'wagi'] },
          env: {
            type: 'object',
            maxProperties: 256,
            propertyNames: { pattern: '^[A-Za-z_][A-Za-z0-9_]{0,127}$' },
            additionalProperties: { type: 'string', maxLength: 4096 },
          },
        },
      },
    },
  },
};

const validate = new Ajv({ allErrors: true }).compile<DeployRequest>(schema);

export function parseDeployRequest(body: unknown): DeployRequest {
  if (!validate(body)) {
    const problems = (validate.errors ?? []).map((error) => `${error.instancePath || '(body)'} ${error.message ?? 'is invalid'}`);
    throw new NanoError('RequestInvalid', `the deploy request is invalid: ${problems.join('; ')}`, {
      value: problems,
      hint: 'deploy with the nano CLI of the same version as the server',
    });
  }
  // A set, not indexOf per name: O(n) for the 10,000 functions a deploy may carry.
  const seen = new Set<string>();
  for (const { name } of body.functions) {
    if (seen.has(name)) throw new NanoError('RequestInvalid', `the deploy request names function "${name}" twice`, { value: name });
    seen.add(name);
  }
  // The same rule as nano.yml's (config/routes.ts): a client that skipped it may not shadow the platform's own paths.
  for (const fn of body.functions) {
    for (const route of fn.routes) {
      const reserved = reservedPrefixOf(route.path);
      if (reserved !== undefined) {
        throw new NanoError('RequestInvalid', `route "${route.path}" of "${fn.name}" is reserved by the platform (${reserved})`, {
          value: route.path,
          hint: 'choose another path in nano.yml',
        });
      }
    }
  }
  return body;
}
