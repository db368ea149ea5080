/**
 * WASI calls that could make the host allocate for a function are refused
 * with an errno, or bounded by its limits: stdio cannot be resized, a read or
 * write takes at most IOV_MAX iovecs, and stdout and stderr keep bounded
 * buffers whatever the pattern of writes.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { LogLines } from '../../src/runtime/payload.js';
import { Collector, StderrLines } from '../../src/runtime/wasi-stdio.js';
import { removeTempProjects, yml } from '../helpers/project.js';
import { serveWagi, type ServedWagi } from '../wagi/serve-wagi.js';
import { decodeResize, manyIovecsWat, resizeStdioWat } from './hostile-modules.js';

const MiB = 1024 * 1024;
const ERRNO = { BADF: 8, INVAL: 28, NOTSUP: 58 } as const;

let served: ServedWagi | undefined;

afterEach(async () => {
  await served?.close();
  served = undefined;
  await removeTempProjects();
});

async function post(fn: string, body?: string): Promise<Uint8Array> {
  const response = await served!.app.request(`/exec/${fn}`, { method: 'POST', ...(body === undefined ? {} : { body }) });
  expect(response.status).toBe(200);
  return new Uint8Array(await response.arrayBuffer());
}

describe('WASI host buffers', () => {
  it('stdin, stdout and stderr cannot be resized: fd_allocate and fd_filestat_set_size answer an errno', async () => {
    served = await serveWagi({
      'nano.yml': yml('service: w', 'functions:', '  resize: { source: functions/resize.wat, abi: wagi, memory: 1 }'),
      'functions/resize.wat': resizeStdioWat(64 * MiB),
    });
    const result = decodeResize(await post('resize', 'hello'));
    expect(result.allocate).toEqual([ERRNO.BADF, ERRNO.NOTSUP, ERRNO.NOTSUP]);
    expect(result.setSize).toEqual([ERRNO.BADF, ERRNO.NOTSUP, ERRNO.NOTSUP]);
    // stdin is still the 5-byte body: nothing to read 64 MiB in.
    expect(result).toMatchObject({ filestat: 0, pread: 0, nread: 0, stdinSize: 5n });
  });

  it('a read or write with more than 1024 iovecs answers EINVAL before the shim reads them', async () => {
    served = await serveWagi({
      'nano.yml': yml(
        'service: w',
        'functions:',
        '  many: { source: functions/many.wat, abi: wagi, memory: 2 }',
        '  max: { source: functions/max.wat, abi: wagi, memory: 2 }',
      ),
      'functions/many.wat': manyIovecsWat(1025, 2),
      'functions/max.wat': manyIovecsWat(1024, 2),
    });
    expect(new DataView((await post('many')).buffer).getUint32(0, true)).toBe(ERRNO.INVAL);
    expect(new DataView((await post('max')).buffer).getUint32(0, true)).toBe(0);
  });
});

describe('stdio buffers', () => {
  it('stdout copies what it keeps into one buffer no larger than the output limit', () => {
    const stdout = new Collector(10_000);
    // fd_write hands over views of the module's memory, which changes after each write.
    const memory = new Uint8Array(1);
    for (let i = 0; i < 9_000; i++) {
      memory[0] = i & 0xff;
      stdout.write(memory);
    }
    expect(stdout.bytes().length).toBe(9_000);
    expect(stdout.bytes().buffer.byteLength).toBeLessThanOrEqual(10_000);
    expect(stdout.bytes()[8_998]).toBe(8_998 & 0xff);
    expect(stdout.bytes()[8_999]).toBe(8_999 & 0xff);
    stdout.write(new Uint8Array(1_001));
    expect(stdout.overflow).toBe(true);
  });

  it('stderr keeps no more of an endless line than one invocation may log', () => {
    const logs = new LogLines();
    const stderr = new StderrLines(logs);
    const chunk = new Uint8Array(64 * 1024).fill(0x78);
    for (let i = 0; i < 64; i++) stderr.write(chunk);
    expect((stderr as unknown as { pending: string }).pending.length).toBeLessThanOrEqual(16 * 1024 + 1);
    stderr.write(new TextEncoder().encode('\nafter\n'));
    stderr.flush();
    expect(logs.done()).toEqual(['after', expect.stringMatching(/^… 1 more line dropped/)]);
  });
});
