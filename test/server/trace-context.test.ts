/** W3C Trace Context parsing (https://www.w3.org/TR/trace-context/ §3.2): what continues a trace, what starts one. */
import { describe, expect, it } from 'vitest';
import { parseTraceparent, traceOf, traceparentOf } from '../../src/server/trace-context.js';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT = '00f067aa0ba902b7';

describe('parseTraceparent', () => {
  it('reads a version 00 header, and a later version with more fields', () => {
    expect(parseTraceparent(`00-${TRACE}-${PARENT}-01`)).toEqual({ traceId: TRACE, parentId: PARENT, flags: '01' });
    expect(parseTraceparent(`cc-${TRACE}-${PARENT}-09-what-comes-later`)).toEqual({ traceId: TRACE, parentId: PARENT, flags: '09' });
  });

  it.each([
    ['absent', undefined],
    ['empty', ''],
    ['upper-case hex', `00-${TRACE.toUpperCase()}-${PARENT}-01`],
    ['an all-zero trace id', `00-${'0'.repeat(32)}-${PARENT}-01`],
    ['an all-zero parent id', `00-${TRACE}-${'0'.repeat(16)}-01`],
    ['version ff', `ff-${TRACE}-${PARENT}-01`],
    ['version 00 with a fifth field', `00-${TRACE}-${PARENT}-01-extra`],
    ['a short trace id', `00-${TRACE.slice(1)}-${PARENT}-01`],
    ['two headers joined', `00-${TRACE}-${PARENT}-01,00-${TRACE}-${PARENT}-01`],
  ])('refuses %s', (_what, header) => {
    expect(parseTraceparent(header)).toBeUndefined();
  });
});

describe('traceOf', () => {
  it("continues the caller's trace with a new span, keeping only the sampled flag", () => {
    const trace = traceOf(`00-${TRACE}-${PARENT}-03`);
    expect(trace).toMatchObject({ traceId: TRACE, parentId: PARENT, flags: '01' });
    expect(trace.spanId).toMatch(/^[0-9a-f]{16}$/);
    expect(trace.spanId).not.toBe(PARENT);
    expect(traceOf(`00-${TRACE}-${PARENT}-00`).flags).toBe('00');
  });

  it('starts a sampled trace of its own otherwise, with ids that differ every time', () => {
    const traces = Array.from({ length: 2000 }, () => traceOf(undefined));
    expect(new Set(traces.map((trace) => trace.traceId)).size).toBe(traces.length);
    expect(new Set(traces.map((trace) => trace.spanId)).size).toBe(traces.length);
    for (const trace of traces.slice(0, 10)) {
      expect(traceparentOf(trace)).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
      expect(trace.parentId).toBeUndefined();
    }
  });
});
