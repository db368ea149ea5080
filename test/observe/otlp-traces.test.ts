/**
 * Issue 14, item 3: with OTEL_EXPORTER_OTLP_ENDPOINT set, a real `nano server` sends one span per
 * invocation over OTLP/HTTP, with the ids the response's `traceparent` names, as a child of the caller's
 * span. An OpenTelemetry collector cannot run here (no package, no container registry), so a small HTTP
 * server stands in for it: it only records what it receives, the way a collector's OTLP receiver does.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { build } from '../helpers/build.js';
import { killStrayProcesses } from '../helpers/cli-process.js';
import { deploy, startServer } from '../helpers/platform.js';
import { removeTempProjects, tempProject, yml } from '../helpers/project.js';

interface OtlpValue {
  stringValue?: string;
  intValue?: string | number;
  boolValue?: boolean;
  doubleValue?: number;
}
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  startTimeUnixNano: string | number;
  endTimeUnixNano: string | number;
  attributes: { key: string; value: OtlpValue }[];
  status?: { code?: number };
}
interface OtlpExport {
  resourceSpans: { resource: { attributes: { key: string; value: OtlpValue }[] }; scopeSpans: { spans: OtlpSpan[] }[] }[];
}

let collector: Server | undefined;

afterEach(async () => {
  await killStrayProcesses();
  await removeTempProjects();
  await new Promise((resolve) => (collector ? collector.close(resolve) : resolve(undefined)));
  collector = undefined;
});

/** Records every OTLP/HTTP JSON export it receives on /v1/traces. */
async function startCollector(): Promise<{ url: string; exports: OtlpExport[]; paths: string[] }> {
  const exports: OtlpExport[] = [];
  const paths: string[] = [];
  collector = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      paths.push(`${req.method} ${req.url} ${req.headers['content-type']}`);
      exports.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as OtlpExport);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => collector!.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(collector.address() as AddressInfo).port}`, exports, paths };
}

const spansOf = (exports: OtlpExport[]) => exports.flatMap((e) => e.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans)));
const attribute = (span: OtlpSpan, key: string) => span.attributes.find((item) => item.key === key)?.value;

describe('spans over OTLP', () => {
  it('exports one server span per invocation, with the ids of the traceparent nano returned', async () => {
    const received = await startCollector();
    const server = await startServer({ env: { OTEL_EXPORTER_OTLP_ENDPOINT: received.url, OTEL_BSP_SCHEDULE_DELAY: '50' } });
    const dir = await tempProject({
      'nano.yml': yml('service: traced', 'functions:', '  answer: { source: answer.wat }', '  trap: { source: trap.wat }'),
      'answer.wat': '(module (func (export "_start") (result i32) i32.const 42))',
      'trap.wat': '(module (func (export "_start") unreachable))',
    });
    await deploy(server.url, await build(dir));

    const parent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const answered = await fetch(`${server.url}/exec/answer`, { headers: { traceparent: parent } });
    expect(await answered.text()).toBe('42');
    const [, traceId, spanId] = /^00-([0-9a-f]{32})-([0-9a-f]{16})-01$/.exec(answered.headers.get('traceparent') ?? '') ?? [];
    const trapped = await fetch(`${server.url}/exec/trap`);
    expect(trapped.status).toBe(500);
    const trappedTrace = (trapped.headers.get('traceparent') ?? '').split('-')[1];

    let spans: OtlpSpan[] = [];
    for (let attempt = 0; attempt < 200 && spans.length < 2; attempt += 1) {
      await new Promise((resolve) => setTimeout(resolve, 25));
      spans = spansOf(received.exports);
    }
    expect(received.paths[0]).toMatch(/^POST \/v1\/traces application\/json/);

    const answer = spans.find((span) => span.name === 'invoke answer');
    expect(answer).toMatchObject({ traceId, spanId, parentSpanId: '00f067aa0ba902b7', kind: 2 });
    expect(attribute(answer!, 'faas.name')).toEqual({ stringValue: 'answer' });
    expect(attribute(answer!, 'nano.request_id')).toEqual({ stringValue: answered.headers.get('x-nano-request-id') });
    expect(BigInt(answer!.endTimeUnixNano)).toBeGreaterThanOrEqual(BigInt(answer!.startTimeUnixNano));

    // A call without a traceparent is the root of a trace of its own; a trap is an error span.
    const trap = spans.find((span) => span.name === 'invoke trap');
    expect(trap?.traceId).toBe(trappedTrace);
    expect(trap?.parentSpanId ?? '').toBe('');
    expect(trap?.status?.code).toBe(2);
    const resource = received.exports[0]!.resourceSpans[0]!.resource.attributes;
    expect(resource.find((item) => item.key === 'service.name')?.value).toEqual({ stringValue: 'nano' });
  });
});
