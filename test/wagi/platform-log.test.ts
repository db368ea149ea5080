import { afterEach, describe, expect, it } from 'vitest';
import type { ProblemsError } from '../../src/errors.js';
import { buildError } from '../helpers/build.js';
import { removeTempProjects, tempProject, yml } from '../helpers/project.js';
import { serveWagi, type ServedWagi } from './serve-wagi.js';

let served: ServedWagi | undefined;

afterEach(async () => {
  await served?.close();
  served = undefined;
  await removeTempProjects();
});

/** Logs "hello from nano" (own exported memory), then returns 42. */
const HELLO_WAT = `(module
  (import "platform" "log" (func $log (param i32 i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "hello from nano")
  (func (export "_start") (result i32)
    (call $log (i32.const 16) (i32.const 15))
    i32.const 42))`;

/** Logs "before the trap" from an imported memory, then traps. */
const TRAP_WAT = `(module
  (import "platform" "memory" (memory 1))
  (import "platform" "log" (func $log (param i32 i32)))
  (data (i32.const 0) "before the trap")
  (func (export "_start")
    (call $log (i32.const 0) (i32.const 15))
    unreachable))`;

/** Logs "line" $n times. */
const CHATTY_WAT = `(module
  (import "platform" "log" (func $log (param i32 i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "line")
  (func (export "_start") (param $n i32)
    (block $done
      (loop $next
        (br_if $done (i32.eqz (local.get $n)))
        (call $log (i32.const 0) (i32.const 4))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $next)))))`;

const PROJECT = yml(
  'service: logs',
  'functions:',
  '  hello: { source: functions/hello.wat }',
  '  trap: { source: functions/trap.wat }',
  '  chatty: { source: functions/chatty.wat }',
  '  sum: { source: functions/sum.wat }',
);

async function serve(): Promise<ServedWagi> {
  served = await serveWagi({
    'nano.yml': PROJECT,
    'functions/hello.wat': HELLO_WAT,
    'functions/trap.wat': TRAP_WAT,
    'functions/chatty.wat': CHATTY_WAT,
    'functions/sum.wat': '(module (func (export "_start") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add))',
  });
  return served;
}

describe('platform.log', () => {
  it("appends a line to the invocation's log entry, and the call answers as before", async () => {
    const { app, logs } = await serve();
    const response = await app.request('/exec/hello');
    expect(await response.text()).toBe('42');
    expect(logs).toEqual([expect.objectContaining({ name: 'hello', status: 200, outcome: 'ok', lines: ['hello from nano'] })]);
    // A function without platform.log logs nothing, as before.
    expect(await (await app.request('/exec/sum?5,2')).text()).toBe('7');
    expect(logs[1]).toMatchObject({ name: 'sum', lines: [] });
  });

  it('keeps what was logged before a trap, then the trap', async () => {
    const { app, logs } = await serve();
    const response = await app.request('/exec/trap');
    expect(response.status).toBe(500);
    expect(logs[0]?.lines).toEqual(['before the trap', 'trap trapped: unreachable']);
  });

  it('is bounded per invocation, saying how many lines were dropped', async () => {
    const { app, logs } = await serve();
    expect((await app.request('/exec/chatty?1000')).status).toBe(200);
    const lines = logs[0]?.lines ?? [];
    expect(lines).toHaveLength(101);
    expect(lines.slice(0, 100).every((line) => line === 'line')).toBe(true);
    expect(lines[100]).toMatch(/^… 900 more lines dropped/);
    // The next invocation starts with an empty log.
    expect((await app.request('/exec/chatty?2')).status).toBe(200);
    expect(logs[1]?.lines).toEqual(['line', 'line']);
  });

  it('is refused at build without a memory to read from', async () => {
    const dir = await tempProject({
      'nano.yml': yml('service: demo', 'functions:', '  x: { source: functions/x.wat }'),
      'functions/x.wat': '(module (import "platform" "log" (func $log (param i32 i32))) (func (export "_start")))',
    });
    const error = (await buildError(dir)) as ProblemsError;
    expect(error.message).toContain('imports "platform.log" but neither imports platform.memory nor exports its memory');
  });
});
