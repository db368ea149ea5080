/**
 * A real `nano server` (startPlatformServer on port 0, in-process) with the web console mounted as the
 * CLI mounts it, holding `sum` (an `args` function deployed twice: v1 answers 1, v2 answers 2) and
 * `items` (the examples' WAGI function); and a real `nano dev` session with the console, for the dev page.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startDevSession, type DevSession } from '../../src/dev/index.js';
import { buildStatusOf, WebConsole } from '../../src/observe/console/index.js';
import type { ControlAction } from '../../src/server/control-action.js';
import { startPlatformServer, type PlatformServer } from '../../src/server/index.js';
import { build } from '../helpers/build.js';
import { deploy, TOKEN } from '../helpers/platform.js';
import { REPO_ROOT, tempProject, writeFiles, yml } from '../helpers/project.js';
import { answerWat } from '../helpers/wat.js';

export { TOKEN };
export const EXEC_TOKEN = 'exec-token-456';

export interface ConsoleServer {
  url: string;
  server: PlatformServer;
  console: WebConsole;
  actions: ControlAction[];
  dir: string;
}

const projectYml = yml(
  'service: demo',
  'functions:',
  '  sum: { source: sum.wat, http: { method: GET, path: /sum } }',
  '  items: { source: items.wat, abi: wagi, memory: 4, http: { method: ANY, path: /api/items/* } }',
  '  trap: { source: trap.wat }',
);

/** Builds and deploys the project with `sum` answering `value`. */
export async function deploySum(target: ConsoleServer, value: number): Promise<void> {
  await writeFiles(target.dir, { 'sum.wat': answerWat(value) });
  await deploy(target.url, await build(target.dir));
}

export async function startConsoleServer(options: { execToken?: boolean } = {}): Promise<ConsoleServer> {
  const dir = await tempProject({
    'nano.yml': projectYml,
    'items.wat': await readFile(join(REPO_ROOT, 'examples/functions/items.wat'), 'utf8'),
    // Fails every call: what the console counts as an error (a bad request is the caller's, not one).
    'trap.wat': '(module (func (export "_start") unreachable))',
  });
  const actions: ControlAction[] = [];
  const execToken = options.execToken ? EXEC_TOKEN : undefined;
  const webConsole = new WebConsole({ mode: 'server', token: TOKEN, execToken, onControlAction: (action) => actions.push(action) });
  const server = await startPlatformServer({
    dataDir: join(dir, 'data'),
    port: 0,
    host: '127.0.0.1',
    token: TOKEN,
    execToken,
    executor: { poolSize: 1 },
    onInvocation: webConsole.record,
    onControlAction: (action) => actions.push(action),
    extend: (app, context) => webConsole.mount(app, context),
  });
  const target = { url: server.url, server, console: webConsole, actions, dir };
  try {
    await deploySum(target, 1);
    await deploySum(target, 2);
  } catch (error) {
    await server.close();
    throw error;
  }
  return target;
}

export interface ConsoleDev {
  url: string;
  session: DevSession;
  dir: string;
}

/** `nano dev` on a project whose `sum` is given as WAT text (a broken one makes the build fail). */
/** A `sum` whose build fails (two values left on the stack): the dev console's banner shows where. */
export const UNBUILDABLE_SUM_WAT = '(module (func (export "_start") (result i32) i32.const 7 i32.const 8))';

export async function startConsoleDev(sumWat: string): Promise<ConsoleDev> {
  const dir = await tempProject({ 'nano.yml': yml('service: demo', 'functions:', '  sum: { source: sum.wat }'), 'sum.wat': sumWat });
  const webConsole = new WebConsole({ mode: 'dev' });
  const session = await startDevSession({
    configPath: 'nano.yml',
    stage: 'dev',
    env: {},
    cwd: dir,
    port: 0,
    host: '127.0.0.1',
    executor: { poolSize: 1 },
    debounceMs: 20,
    onInvocation: webConsole.record,
    onReload: (report) => webConsole.setBuildStatus(buildStatusOf(report)),
    extend: (app, context) => webConsole.mount(app, context),
  });
  webConsole.setBuildStatus(buildStatusOf(session.initial));
  return { url: session.url, session, dir };
}
