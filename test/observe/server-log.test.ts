/**
 * Issue 14, items 2 and 3: a real `nano server --log-format json` writes one JSON object per line —
 * a record per request, per control-plane action and per line a function logged — never the token; a
 * request's W3C `traceparent` is continued (or started), returned, logged and handed to a WAGI function.
 */
import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { build } from '../helpers/build.js';
import { killStrayProcesses } from '../helpers/cli-process.js';
import { deploy, startServer, TOKEN, type RunningServer } from '../helpers/platform.js';
import { removeTempProjects, tempProject, yml } from '../helpers/project.js';
import { ENV_WAT } from '../wagi/modules.js';

afterEach(async () => {
  await killStrayProcesses();
  await removeTempProjects();
});

/** Logs "hello from nano", then returns 42. */
const HELLO_WAT = `(module
  (import "platform" "log" (func $log (param i32 i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "hello from nano")
  (func (export "_start") (result i32)
    (call $log (i32.const 16) (i32.const 15))
    i32.const 42))`;

const PARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-(0[01])$/;

type LogRecord = Record<string, unknown> & { kind?: string; msg: string; level: string };

async function serverWithFunctions(args: string[] = []): Promise<RunningServer> {
  const server = await startServer({ args: ['--log-format', 'json', ...args] });
  const dir = await tempProject({
    'nano.yml': yml(
      'service: observed',
      'functions:',
      '  hello: { source: hello.wat }',
      '  env: { source: env.wat, abi: wagi, memory: 4, http: { method: GET, path: /env } }',
    ),
    'hello.wat': HELLO_WAT,
    'env.wat': ENV_WAT,
  });
  await deploy(server.url, await build(dir));
  return server;
}

/** Every line of stdout, parsed: one that is not JSON fails the test (a `jq` pipeline would choke on it). */
function records(server: RunningServer): LogRecord[] {
  return server.process
    .stdout()
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => {
      try {
        return JSON.parse(line) as LogRecord;
      } catch {
        throw new Error(`not a JSON line: ${line}`);
      }
    });
}

/** Polls stdout until a record matches (pino writes asynchronously). */
async function waitForRecord(server: RunningServer, match: (record: LogRecord) => boolean): Promise<LogRecord> {
  for (let attempt = 0; attempt < 200; attempt += 1) {
    const found = records(server).find(match);
    if (found) return found;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`no matching log record in:\n${server.process.stdout()}`);
}

describe('nano server --log-format json', () => {
  it('writes one JSON record per request, with its request id, trace id, function, version and outcome', async () => {
    const server = await serverWithFunctions();
    const response = await fetch(`${server.url}/exec/hello`, { headers: { traceparent: PARENT } });
    expect(await response.text()).toBe('42');
    const requestId = response.headers.get('x-nano-request-id');
    expect(requestId).toBeTruthy();

    const line = await waitForRecord(server, (record) => record.kind === 'request' && record.reqId === requestId);
    expect(line).toMatchObject({
      level: 'info',
      method: 'GET',
      path: '/exec/hello',
      status: 200,
      fn: 'hello',
      version: 1,
      outcome: 'ok',
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      coldStart: response.headers.get('x-nano-cold-start') === '1',
    });
    expect(typeof line.durationMs).toBe('number');
    expect(line.bytes).toBeGreaterThan(0);
    expect(Number.isNaN(Date.parse(String(line.time)))).toBe(false);

    // What the function logged is a record of its own, naming the same request and trace.
    const logged = await waitForRecord(server, (record) => record.kind === 'function' && record.reqId === requestId);
    expect(logged).toMatchObject({ msg: 'hello from nano', fn: 'hello', traceId: '4bf92f3577b34da6a3ce929d0e0e4736' });
    // The query (arguments, anything secret a caller put there) stays out of the log.
    await fetch(`${server.url}/exec/hello?secret-value`);
    await waitForRecord(server, (record) => record.kind === 'request' && record.path === '/exec/hello' && record.reqId !== requestId);
    expect(server.process.stdout()).not.toContain('secret-value');
  });

  it('records control actions with a fingerprint of the token, never the token, and refused tokens as warnings', async () => {
    const server = await serverWithFunctions();
    const deployed = await waitForRecord(server, (record) => record.kind === 'control' && record.action === 'deploy');
    expect(deployed).toMatchObject({ level: 'info', result: 'ok', target: 'hello v1, env v1', revision: 1 });
    // Keyed per process (HMAC), so a log reader cannot test guesses of a weak token against it.
    expect(deployed.by).toMatch(/^hmac:[0-9a-f]{12}$/);
    expect(deployed.by).not.toBe(`hmac:${createHash('sha256').update(TOKEN).digest('hex').slice(0, 12)}`);

    const refused = await fetch(`${server.url}/functions/hello`, { method: 'DELETE', headers: { authorization: 'Bearer not-the-token' } });
    expect(refused.status).toBe(401);
    const warning = await waitForRecord(server, (record) => record.kind === 'control' && record.action === 'unauthorized');
    expect(warning).toMatchObject({ level: 'warn', result: 'refused', target: 'DELETE /functions/hello', code: 'Unauthorized' });
    expect(warning.by).toBeUndefined();

    const rollback = await fetch(`${server.url}/functions/hello/rollback`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(rollback.status).toBe(404); // one version only: nothing to roll back to
    await waitForRecord(server, (record) => record.kind === 'control' && record.action === 'rollback' && record.level === 'warn');

    expect(server.process.stdout()).not.toContain(TOKEN);
    expect(server.process.stdout()).not.toContain('not-the-token');
    // The startup lines are records too: stdout is JSON lines and nothing else.
    expect(records(server).some((record) => record.kind === 'server' && record.msg.includes('listening on'))).toBe(true);
  });

  it('writes nothing per request at --log-level warn', async () => {
    const server = await serverWithFunctions(['--log-level', 'warn']);
    await fetch(`${server.url}/exec/hello`);
    await fetch(`${server.url}/exec/nope`);
    await fetch(`${server.url}/functions`, { headers: { authorization: 'Bearer wrong' } });
    await waitForRecord(server, (record) => record.action === 'unauthorized');
    expect(records(server).filter((record) => record.kind === 'request' || record.kind === 'function')).toEqual([]);
  });
});

describe('trace context', () => {
  it('continues a given traceparent with a span of its own, and hands it to a WAGI function as HTTP_TRACEPARENT', async () => {
    const server = await serverWithFunctions();
    const response = await fetch(`${server.url}/env`, { headers: { traceparent: PARENT } });
    const returned = response.headers.get('traceparent') ?? '';
    const [, traceId, spanId, flags] = TRACEPARENT.exec(returned) ?? [];
    expect(traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(spanId).not.toBe('00f067aa0ba902b7');
    expect(flags).toBe('01');
    // The function's parent is nano's span: what it calls next joins the same trace.
    expect(await response.text()).toContain(`HTTP_TRACEPARENT=${returned}\n`);
  });

  it('starts a trace when the request has none or an invalid one, on answers and on errors alike', async () => {
    const server = await serverWithFunctions();
    for (const headers of [
      {} as Record<string, string>,
      { traceparent: '00-00000000000000000000000000000000-00f067aa0ba902b7-01' },
      { traceparent: 'garbage' },
    ]) {
      const response = await fetch(`${server.url}/exec/hello`, { headers });
      const [, traceId] = TRACEPARENT.exec(response.headers.get('traceparent') ?? '') ?? [];
      expect(traceId).toMatch(/^[0-9a-f]{32}$/);
      expect(traceId).not.toBe('0'.repeat(32));
    }
    const failed = await fetch(`${server.url}/exec/hello?1`, { headers: { traceparent: PARENT } });
    expect(failed.status).toBe(400);
    expect(failed.headers.get('traceparent')).toMatch(/^00-4bf92f3577b34da6a3ce929d0e0e4736-[0-9a-f]{16}-01$/);
  });
});
