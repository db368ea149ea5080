/** The SSE reader: fields, multi-line data, comments, line endings, and chunks split anywhere. */
import { describe, expect, it } from 'vitest';
import { readSse, type SseEvent } from '../../src/client/index.js';

function streamOf(chunks: (string | Uint8Array)[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(typeof chunk === 'string' ? encoder.encode(chunk) : chunk);
      controller.close();
    },
  });
}

async function collect(chunks: (string | Uint8Array)[]): Promise<SseEvent[]> {
  const events: SseEvent[] = [];
  for await (const event of readSse(streamOf(chunks))) events.push(event);
  return events;
}

const TEXT = [
  ': connected',
  'event: log',
  'id: 1',
  'data: {"a":1}',
  '',
  'data: first line',
  'data:second line',
  '',
  'event: ping',
  'data',
  '',
  'event: log',
  'data: {"b":"é ✓"}',
  '',
  'data: no blank line at the end is dropped',
].join('\n');

const EXPECTED: SseEvent[] = [
  { event: 'log', data: '{"a":1}', id: '1' },
  { event: 'message', data: 'first line\nsecond line', id: '1' },
  { event: 'ping', data: '', id: '1' },
  { event: 'log', data: '{"b":"é ✓"}', id: '1' },
];

describe('readSse', () => {
  it('reads events, joins data lines, skips comments and drops an unfinished last event', async () => {
    expect(await collect([TEXT])).toEqual(EXPECTED);
  });

  it('reads CRLF and CR line endings alike', async () => {
    expect(await collect([TEXT.replaceAll('\n', '\r\n')])).toEqual(EXPECTED);
    expect(await collect([TEXT.replaceAll('\n', '\r')])).toEqual(EXPECTED);
  });

  it('gives the same events whatever the chunk boundaries, even inside a character or a CRLF', async () => {
    const bytes = new TextEncoder().encode(TEXT.replaceAll('\n', '\r\n'));
    for (let size = 1; size <= 7; size += 1) {
      const chunks: Uint8Array[] = [];
      for (let at = 0; at < bytes.length; at += size) chunks.push(bytes.slice(at, at + size));
      expect(await collect(chunks)).toEqual(EXPECTED);
    }
  });
});
