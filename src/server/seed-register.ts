/**
 * The seed article's registration endpoint, for compatibility:
 * `GET /register/:name` registers `<modules-dir>/<name>.wasm`, after which
 * `/exec/:name` and `/stats/:name` work on it. It goes through the same checks
 * and the same atomic commit as a deploy. The name is validated before it
 * touches the file system, so no path can escape the folder. On a server with
 * a token it needs the token, as every other change to the registry does.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Hono } from 'hono';
import { BUILTIN_DEFAULTS } from '../config/index.js';
import { NanoError } from '../errors.js';
import { audited, auditedBearer, type ControlActionObserver } from './control-action.js';
import type { DeployCommitted } from './control-api.js';
import type { Platform } from './platform.js';
import { FUNCTION_NAME } from '../config/types.js';

export const SEED_SERVICE = 'registered';

export function addSeedRegister(
  app: Hono,
  platform: Platform,
  modulesDir: string,
  token: string | undefined,
  onAction?: ControlActionObserver,
): void {
  // Registering changes the registry: on a server with a token it is control plane, like a deploy.
  if (token !== undefined) app.use('/register/*', auditedBearer(token, onAction));
  app.get('/register/:name', async (c) => {
    const name = c.req.param('name');
    const committed = await audited(c, onAction, { action: 'register', target: name, revisionOf: (done) => done.revision }, () =>
      register(platform, modulesDir, name),
    );
    return c.text(`registered ${name} (v${committed.functions[0]?.version ?? 0})`);
  });
}

/** Registers `<modulesDir>/<name>.wasm` as a function of the `registered` service, as a deploy of it would. */
async function register(platform: Platform, modulesDir: string, name: string): Promise<DeployCommitted> {
  if (!FUNCTION_NAME.test(name)) {
    throw new NanoError('RequestInvalid', `"${name}" is not a function name (lowercase letters, digits and dashes)`, { value: name });
  }
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(join(modulesDir, `${name}.wasm`)));
  } catch {
    throw new NanoError('NotFound', `there is no ${name}.wasm in the modules folder`, { value: name });
  }
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  await platform.upload(sha256, bytes);
  const plan = await platform.plan({
    service: SEED_SERVICE,
    stage: 'seed',
    prune: false,
    functions: [{ name, sha256, size: bytes.length, entry: '_start', limits: { ...BUILTIN_DEFAULTS }, routes: [] }],
  });
  return platform.commit(plan.id);
}
