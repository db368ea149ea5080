/**
 * `nano server`'s log, through pino: one line per request, per control-plane action and per line a
 * function logged, each naming its request id and trace id, so that a request can be followed from the
 * balancer to the function's own output. `--log-format json` writes one JSON object per line (for `jq`,
 * Loki, Elasticsearch); `pretty` renders the same records for people (pino-pretty). The startup and
 * shutdown lines go through the same log in json mode (`logOutput`), so stdout stays pure JSON lines.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { pino, type DestinationStream, type Level, type Logger } from 'pino';
import type { ControlAction, Invocation } from '../server/index.js';
import { INVOCATION } from '../server/index.js';

export const LOG_FORMATS = ['json', 'pretty'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Where the lines go: stdout as the CLI knows it (a capture in tests). */
export interface LogSink {
  write(text: string): unknown;
  isTTY?: boolean;
}

export interface ServerLogOptions {
  format: LogFormat;
  level: LogLevel;
  sink: LogSink;
  /** Colour in pretty mode (a terminal without NO_COLOR). */
  colour: boolean;
}

export interface ServerLog {
  readonly logger: Logger;
  /** Logs every request the server answers once its response is done (or cut off). */
  watchRequests(server: Server): void;
  /** The lines a function logged, one record each, with the call's request and trace ids. */
  onInvocation(invocation: Invocation): void;
  onControlAction(action: ControlAction): void;
  /** Writes out what is buffered (json mode writes asynchronously to fd 1). */
  flush(): void;
}

/** The path without the query: arguments and secrets a caller put in a query stay out of the log. */
function pathOf(url: string | undefined): string {
  const path = url ?? '';
  const query = path.indexOf('?');
  return query < 0 ? path : path.slice(0, query);
}

/**
 * One request as the log records it. The invocation it made, if any, is on the request (server/invoke.ts):
 * the response's headers went straight to the socket and cannot be read back. `bytes` is what the socket
 * sent for this response, headers included (requests on one connection take turns).
 */
function requestRecord(
  req: IncomingMessage & { [INVOCATION]?: Invocation },
  res: ServerResponse,
  startedMs: number,
  bytes: number | undefined,
) {
  const invocation = req[INVOCATION];
  return {
    kind: 'request',
    reqId: invocation?.requestId,
    traceId: invocation?.traceId,
    method: req.method,
    path: pathOf(req.url),
    status: res.statusCode,
    durationMs: Math.round((performance.now() - startedMs) * 1000) / 1000,
    fn: invocation?.name,
    version: invocation?.version ?? undefined,
    coldStart: invocation?.coldStart,
    outcome: invocation?.outcome,
    bytes,
    // The client went away before the whole response was written.
    aborted: res.writableFinished ? undefined : true,
  };
}

/** `GET /exec/add 200 0.412 ms · add v3 cold · k3x9a2q7-2s · trace 4bf92f35…`: the record in a line. */
function requestMessage(record: ReturnType<typeof requestRecord>): string {
  const head = `${record.method ?? ''} ${record.path} ${record.status} ${record.durationMs} ms${record.aborted ? ' (client went away)' : ''}`;
  if (record.fn === undefined) return head;
  const call = `${record.fn} v${record.version ?? '?'}${record.coldStart ? ' cold' : ''}`;
  return `${head} · ${call} · ${record.reqId ?? ''} · trace ${record.traceId ?? ''}`;
}

/** pino's destination: fd 1 written asynchronously (writes of one event-loop turn coalesce), or the CLI's stream. */
async function destinationOf(options: ServerLogOptions): Promise<{ stream: DestinationStream; flush: () => void }> {
  if (options.format === 'pretty') {
    // pino-pretty's formatter, loaded for the pretty format only: a json server never pays for it.
    const { prettyFactory } = await import('pino-pretty');
    // One line per record, as `nano dev` prints: the message says it all (requestMessage), the fields are for json.
    const prettify = prettyFactory({
      colorize: options.colour,
      translateTime: 'SYS:HH:MM:ss.l',
      hideObject: true,
      ignore: 'pid,hostname',
      messageFormat: (record, key) =>
        (record.kind === 'function' ? `${String(record.fn)} ${String(record.reqId)} │ ` : '') + String(record[key]),
    });
    return { stream: { write: (line: string) => options.sink.write(prettify(line)) }, flush: () => undefined };
  }
  if (options.sink === process.stdout) {
    const destination = pino.destination({ dest: 1, sync: false });
    return { stream: destination, flush: () => destination.flushSync() };
  }
  return { stream: { write: (line: string) => options.sink.write(line) }, flush: () => undefined };
}

const ACTION_LEVEL: Record<ControlAction['result'], Level> = { ok: 'info', refused: 'warn', failed: 'error' };

/** The level of an action's record: an upload that went well is detail (a deploy of 10,000 functions makes 10,000). */
function levelOf(action: ControlAction): Level {
  return action.action === 'upload' && action.result === 'ok' ? 'debug' : ACTION_LEVEL[action.result];
}

export async function createServerLog(options: ServerLogOptions): Promise<ServerLog> {
  const { stream, flush } = await destinationOf(options);
  const logger = pino(
    {
      level: options.level,
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      // The level's name rather than its number: `jq 'select(.level == "error")'`.
      formatters: { level: (label) => ({ level: label }) },
    },
    stream,
  );
  return {
    logger,
    watchRequests(server) {
      if (!logger.isLevelEnabled('info')) return;
      server.on('request', (req: IncomingMessage, res: ServerResponse) => {
        const startedMs = performance.now();
        const bytesBefore = req.socket.bytesWritten;
        // Counted when the response is handed over: a connection that closes after it counts no more.
        let bytes: number | undefined;
        res.once('finish', () => (bytes = req.socket.bytesWritten - bytesBefore));
        res.once('close', () => {
          const record = requestRecord(req, res, startedMs, bytes);
          logger.info(record, requestMessage(record));
        });
      });
    },
    onInvocation(invocation) {
      if (invocation.lines.length === 0 || !logger.isLevelEnabled('info')) return;
      const fields = {
        kind: 'function',
        fn: invocation.name,
        version: invocation.version,
        reqId: invocation.requestId,
        traceId: invocation.traceId,
      };
      for (const line of invocation.lines) logger.info(fields, line);
    },
    onControlAction(action) {
      const { action: kind, target, result, ...rest } = action;
      logger[levelOf(action)](
        { kind: 'control', action: kind, target, result, ...rest },
        `${kind}${target === undefined ? '' : ` ${target}`}: ${result}`,
      );
    },
    flush,
  };
}
