/** `nano server`: the platform — a persistent registry, the data plane and the control plane. */
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import type { Argv } from 'yargs';
import { NanoError } from '../../errors.js';
import {
  DEFAULT_CONNECTION_LIMITS,
  DEFAULT_CONVERGE_TIMEOUT_MS,
  DEFAULT_MAX_LAG_MS,
  DEFAULT_DRAIN_DELAY_MS,
  DEFAULT_DRAIN_TIMEOUT_MS,
  DEFAULT_MAX_ARTIFACT_BYTES,
  DEFAULT_MAX_BODY_BYTES,
  DEFAULT_MAX_BODY_BYTES_IN_FLIGHT,
} from '../../server/limits.js';
import type { CommandContext, GlobalFlags } from '../context.js';
import {
  checkBodyBudgetFlag,
  checkClusterFlags,
  checkConnectionFlags,
  checkDrainFlags,
  checkServeFlags,
  checkWholeNumber,
  GIB,
  INLINE_BUDGET_OPTION,
} from '../flags.js';
import { maskRegistryUrl } from '../../registry/registry-url.js';
import { serveUntilDrained } from './server-drain.js';

export function registerServer(cli: Argv<GlobalFlags>, ctx: CommandContext): Argv<GlobalFlags> {
  return cli.command(
    'server',
    'Run the nano platform: deployed functions served over HTTP, deploys accepted with a token',
    (command) =>
      command
        .option('port', { alias: 'p', type: 'number', default: 8000, describe: 'Port to listen on (0 picks a free one)' })
        .option('host', { type: 'string', default: '127.0.0.1', describe: 'Address to listen on (anything but loopback needs a token)' })
        .option('data', {
          type: 'string',
          default: './.nano-data',
          describe: 'Folder of the registry (artifacts and versions); with a shared --registry, the artifact cache of this node',
        })
        .option('registry', {
          type: 'string',
          describe:
            'Shared registry of several nodes: redis://[user:pass@]host:port[/db][?prefix=nano] (rediss:// for TLS) (default: $NANO_REGISTRY, else the folder --data)',
        })
        .option('log-format', {
          choices: ['pretty', 'json'] as const,
          describe:
            'pretty: lines for people; json: every line one JSON object (requests, control actions, function output), for jq and log collectors (default: $NANO_LOG_FORMAT, else pretty)',
        })
        .option('log-level', {
          choices: ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const,
          describe:
            'Least severe log record written: info has one per request; warn only refusals and problems (default: $NANO_LOG_LEVEL, else info)',
        })
        .option('node-id', {
          type: 'string',
          describe: "This node's name among the nodes of a shared registry (x-nano-node) (default: <hostname>-<pid>)",
        })
        .option('converge-timeout', {
          type: 'number',
          default: DEFAULT_CONVERGE_TIMEOUT_MS,
          describe: 'Milliseconds a deploy, rollback or remove waits for every node to apply it before answering',
        })
        .option('max-lag', {
          type: 'number',
          default: DEFAULT_MAX_LAG_MS,
          describe: 'Milliseconds a node may know of a newer revision than it serves before /healthz/ready answers 503',
        })
        .option('token', { type: 'string', describe: 'Bearer token the control plane requires (default: $NANO_TOKEN)' })
        .option('exec-token', { type: 'string', describe: 'Bearer token the data plane requires too (default: open)' })
        .option('console', {
          type: 'boolean',
          default: true,
          describe: 'Serve the web console under /_nano/ (behind a login with --token) (--no-console: neither it nor its per-call figures)',
        })
        .option('metrics', {
          type: 'boolean',
          default: true,
          describe: 'Count invocations and serve GET /metrics for Prometheus (--no-metrics: neither, and no cost on the calls)',
        })
        .option('metrics-token', {
          type: 'string',
          describe:
            'Bearer token GET /metrics requires, and only it (default: $NANO_METRICS_TOKEN; without either, /metrics takes --token, or is open on a loopback server without one)',
        })
        .option('metrics-port', {
          type: 'number',
          describe: 'Serve /metrics on this port (0 picks a free one) on --metrics-host instead of --port, which then answers 404 for it',
        })
        .option('metrics-host', { type: 'string', default: '127.0.0.1', describe: 'Address --metrics-port listens on' })
        .option('modules-dir', { type: 'string', describe: 'Folder for the seed API: GET /register/<name> registers <dir>/<name>.wasm' })
        .option('max-artifact-size', { type: 'number', default: DEFAULT_MAX_ARTIFACT_BYTES, describe: 'Largest artifact upload, in bytes' })
        .option('max-body-size', {
          type: 'number',
          default: DEFAULT_MAX_BODY_BYTES,
          describe: 'Largest request body a wagi function accepts, in bytes (413 beyond)',
        })
        // No yargs default: left out, it grows to the largest body allowed (limits.ts), so only a value given is checked.
        .option('max-body-bytes-in-flight', {
          type: 'number',
          defaultDescription: `${DEFAULT_MAX_BODY_BYTES_IN_FLIGHT}, or the larger of --max-body-size and --max-artifact-size`,
          describe: 'Bytes of request bodies (wagi bodies and uploads) held at once, all requests together (503 beyond)',
        })
        .option('workers', { type: 'number', default: availableParallelism(), describe: 'Worker threads running invocations' })
        .option('inline-budget', INLINE_BUDGET_OPTION)
        .option('headers-timeout', {
          type: 'number',
          default: DEFAULT_CONNECTION_LIMITS.headersTimeoutMs,
          describe: 'Milliseconds a client may take to send the request line and headers (408 and closed beyond)',
        })
        .option('request-timeout', {
          type: 'number',
          default: DEFAULT_CONNECTION_LIMITS.requestTimeoutMs,
          describe: 'Milliseconds a client may take to send a whole request, body included; not the function run (408 beyond)',
        })
        .option('keep-alive-timeout', {
          type: 'number',
          default: DEFAULT_CONNECTION_LIMITS.keepAliveTimeoutMs,
          describe: 'Milliseconds an idle keep-alive connection stays open',
        })
        .option('max-connections', {
          type: 'number',
          default: DEFAULT_CONNECTION_LIMITS.maxConnections,
          describe: 'Connections held at once; one more is closed as soon as it is accepted',
        })
        .option('drain-delay', {
          type: 'number',
          default: DEFAULT_DRAIN_DELAY_MS,
          describe: 'On SIGTERM or Ctrl-C: milliseconds to keep serving, not ready (/healthz/ready 503), before refusing connections',
        })
        .option('drain-timeout', {
          type: 'number',
          default: DEFAULT_DRAIN_TIMEOUT_MS,
          describe: 'Then: milliseconds to wait for the requests in flight before cutting them off (a second signal stops at once)',
        })
        .example('NANO_TOKEN=secret $0 server', 'Serve on 127.0.0.1:8000 with the registry in ./.nano-data')
        .example('$0 server --port 0 --data /tmp/nano', 'Any free port, another data folder (loopback: no token needed)')
        .example('$0 server --modules-dir examples/.nano/build', 'Also offer the seed API /register/<name>')
        .example('$0 server --registry redis://127.0.0.1:6379 --port 8001', 'One node of several sharing a Redis or Valkey registry')
        .example('$0 server --metrics-port 9464', 'Prometheus scrapes http://127.0.0.1:9464/metrics; the main port does not serve it'),
    async (flags) => {
      checkServeFlags(flags);
      checkWholeNumber('max-artifact-size', flags['max-artifact-size'], 1, GIB, 'of bytes');
      checkBodyBudgetFlag(flags);
      checkConnectionFlags(flags);
      checkDrainFlags(flags);
      checkClusterFlags(flags);
      const { startPlatformServer } = await import('../../server/index.js');
      const { serverObservability } = await import('../observability.js');
      // An empty value means "none", whichever way it came.
      const token = flags.token || ctx.io.env.NANO_TOKEN || undefined;
      const execToken = flags['exec-token'] || undefined;
      const observability = await serverObservability(flags, ctx, { token, execToken });
      const { out } = observability;
      const dataDir = resolve(ctx.io.cwd, flags.data);
      const registry = flags.registry || ctx.io.env.NANO_REGISTRY || undefined;
      const server = await startPlatformServer({
        dataDir,
        registry,
        nodeId: flags['node-id'],
        convergeTimeoutMs: flags['converge-timeout'],
        maxLagMs: flags['max-lag'],
        port: flags.port,
        host: flags.host,
        token,
        execToken,
        modulesDir: flags['modules-dir'] === undefined ? undefined : resolve(ctx.io.cwd, flags['modules-dir']),
        maxArtifactBytes: flags['max-artifact-size'],
        maxBodyBytes: flags['max-body-size'],
        maxBodyBytesInFlight: flags['max-body-bytes-in-flight'],
        executor: { poolSize: flags.workers, inlineBudgetMs: flags['inline-budget'] },
        connections: {
          headersTimeoutMs: flags['headers-timeout'],
          requestTimeoutMs: flags['request-timeout'],
          keepAliveTimeoutMs: flags['keep-alive-timeout'],
          maxConnections: flags['max-connections'],
        },
        onInternalError: (error) => out.error(`internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`),
        onRegistryError: (error) =>
          out.error(
            `${out.paint('yellow', '!')} registry: ${error instanceof Error ? error.message : String(error)}${error instanceof NanoError && error.hint ? ` (${error.hint})` : ''}`,
          ),
        onLoadError: (name, error) =>
          out.error(
            `${out.paint('yellow', '!')} ${name} is unavailable (it answers 503 until a deploy or rollback replaces it): ${error instanceof Error ? error.message : String(error)}`,
          ),
        ...observability.options,
      });
      try {
        await observability.started(server);
        const functions = server.platform.list();
        const where =
          registry === undefined
            ? dataDir
            : `${maskRegistryUrl(registry)} (node ${server.platform.nodeId}, revision ${server.platform.servedRevision})`;
        out.line(`${out.paint('green', '✓')} registry ${where}: ${functions.length} function${functions.length === 1 ? '' : 's'}`);
        out.table(
          functions.map((fn) => [
            out.paint('bold', fn.name),
            `v${fn.version}`,
            fn.unavailable === undefined ? fn.url : out.paint('yellow', 'unavailable'),
          ]),
        );
        if (!token) out.line(out.paint('yellow', 'no token: the control plane is open to this machine only (loopback)'));
        // The tests wait for this exact line.
        out.line(`nano server: listening on ${server.url} — Ctrl-C to stop`);
        out.result({
          url: server.url,
          dataDir,
          ...(registry === undefined ? {} : { registry: maskRegistryUrl(registry), node: server.platform.nodeId }),
          functions: functions.map((fn) => ({ name: fn.name, version: fn.version })),
          unavailable: server.platform.unavailableList(),
        });
        await ctx.io.interrupted();
        if (!(await serveUntilDrained(server, ctx.io, out, { delayMs: flags['drain-delay'], timeoutMs: flags['drain-timeout'] }))) {
          ctx.setExitCode(1);
        }
      } finally {
        // After a drain there is nothing left to close; after an error it stops at once.
        await server.close();
        await observability.close();
      }
    },
  );
}
