/**
 * The control plane's routes (contract in control-api.ts), added to the data
 * plane's Hono app by `nano server`. Every route sits behind the bearer-token
 * guard when the server has a token.
 */
import type { Hono } from 'hono';
import { parseDuration } from '../config/index.js';
import { NanoError } from '../errors.js';
import { isSha256 } from '../registry/index.js';
import { audited, auditedBearer, type ControlActionObserver } from './control-action.js';
import type { DeployCommitted, FunctionList, NodeList } from './control-api.js';
import { streamLogs } from './log-stream.js';
import { parseDeployRequest } from './deploy-request.js';
import type { BodyBudget } from './body-budget.js';
import { parseJsonBody, readBodyLimited } from './read-body.js';
import { MAX_CONTROL_JSON_BYTES } from './limits.js';
import type { Platform } from './platform.js';

export interface ControlPlaneOptions {
  platform: Platform;
  /** Bearer token; undefined only on a loopback-only server. */
  token: string | undefined;
  /** Largest artifact accepted, in bytes. */
  maxArtifactBytes: number;
  /** The data plane's budget of body bytes in flight: an upload holds its bytes until they are stored. */
  bodyBudget: BodyBudget;
  /** Told of every deploy, upload, rollback, removal and refused token (the log, the metrics). */
  onAction?: ControlActionObserver;
}

const CONTROL_PATHS = ['/deployments', '/deployments/*', '/artifacts/*', '/functions', '/functions/*', '/healthz/nodes'];

async function jsonBody(request: Request): Promise<unknown> {
  const bytes = await readBodyLimited(request, {
    bytes: MAX_CONTROL_JSON_BYTES,
    what: 'the request body',
    hint: 'a deploy manifest is far smaller; check the client',
  });
  return parseJsonBody(bytes).value;
}

function sinceOf(query: string | undefined): number | undefined {
  if (query === undefined || query === '') return undefined;
  const ms = parseDuration(query);
  if (ms === undefined) throw new NanoError('RequestInvalid', `since=${query} is not a duration like "5m" or "30s"`, { value: query });
  return Date.now() - ms;
}

/** What a deploy changed, as the log names it: `add v2, hello v1` (at most 10, then how many more). */
function deployedFunctions(done: DeployCommitted): string {
  const changed = done.functions.filter((fn) => fn.change !== 'unchanged');
  const named = changed.slice(0, 10).map((fn) => (fn.change === 'removed' ? `${fn.name} removed` : `${fn.name} v${fn.version}`));
  if (changed.length > 10) named.push(`and ${changed.length - 10} more`);
  return named.length === 0 ? 'no changes' : named.join(', ');
}

export function addControlPlane(app: Hono, options: ControlPlaneOptions): void {
  const { platform, onAction } = options;
  if (options.token !== undefined) {
    const guard = auditedBearer(options.token, onAction);
    for (const path of CONTROL_PATHS) app.use(path, guard);
  }

  app.post('/deployments', async (c) => c.json(await platform.plan(parseDeployRequest(await jsonBody(c.req.raw)))));

  app.put('/artifacts/:sha256', async (c) => {
    const sha256 = c.req.param('sha256');
    if (!isSha256(sha256)) throw new NanoError('RequestInvalid', `"${sha256}" is not a sha256 hex digest`, { value: sha256 });
    const upload = () =>
      options.bodyBudget.holding(async (lease) => {
        const bytes = await readBodyLimited(c.req.raw, {
          bytes: options.maxArtifactBytes,
          what: 'the artifact',
          hint: 'start the server with a larger --max-artifact-size, or make the module smaller',
          lease,
        });
        const { created } = await platform.upload(sha256, bytes);
        return { size: bytes.length, created };
      });
    const { size, created } = await audited(c, onAction, { action: 'upload', target: sha256 }, upload);
    return c.json({ sha256, size, created }, created ? 201 : 200);
  });

  app.post('/deployments/:id/commit', async (c) => {
    const id = c.req.param('id');
    const committed = await audited(
      c,
      onAction,
      { action: 'deploy', target: id, targetOf: deployedFunctions, revisionOf: (done) => done.revision },
      () => platform.commit(id),
    );
    return c.json(committed);
  });

  // Under /healthz/ (reserved already, so no function route is shadowed), behind the token: it lists the nodes' addresses.
  app.get('/healthz/nodes', async (c) =>
    c.json({ self: platform.nodeId, revision: platform.servedRevision, nodes: await platform.registry.nodes() } satisfies NodeList),
  );

  app.get('/functions', (c) => c.json({ functions: platform.list(), unavailable: platform.unavailableList() } satisfies FunctionList));

  app.get('/functions/:name', (c) => {
    const name = c.req.param('name');
    return c.json({ ...platform.summary(name), versions: platform.versions(name).versions.length });
  });

  app.get('/functions/:name/versions', (c) => c.json(platform.versions(c.req.param('name'))));

  app.post('/functions/:name/rollback', async (c) => {
    const name = c.req.param('name');
    // A request refused for its body is a refused rollback too: the log and the metrics count it.
    const done = await audited(c, onAction, { action: 'rollback', target: name, revisionOf: (result) => result.revision }, async () => {
      const body = (await jsonBody(c.req.raw)) as { to?: unknown };
      if (body.to !== undefined && !(Number.isInteger(body.to) && (body.to as number) > 0)) {
        throw new NanoError('RequestInvalid', `"to" must be a version number, got ${JSON.stringify(body.to)}`, { value: body.to });
      }
      return platform.rollback(name, body.to as number | undefined);
    });
    return c.json(done);
  });

  app.delete('/functions/:name', async (c) => {
    const name = c.req.param('name');
    return c.json(
      await audited(c, onAction, { action: 'remove', target: name, revisionOf: (result) => result.revision }, () => platform.remove(name)),
    );
  });

  app.get('/functions/:name/logs', async (c) => {
    const name = c.req.param('name');
    platform.summary(name); // 404 for an unknown function
    const sinceMs = sinceOf(c.req.query('since'));
    const limitText = c.req.query('limit');
    const limit = limitText === undefined ? 100 : Math.max(1, Math.min(10_000, Number(limitText) || 100));
    const recent = await platform.logs.list(name, { sinceMs, limit });
    if (!(c.req.header('accept') ?? '').includes('text/event-stream')) return c.json({ name, entries: recent });

    return streamLogs(c, platform.logs, name, recent);
  });
}
