/** `nano dev`: build, then serve the project locally with the platform's executor and limits. */
import { availableParallelism } from 'node:os';
import type { Argv } from 'yargs';
import { buildProject, type FunctionArtifact } from '../../build/index.js';
import { formatDuration, resolveConfig } from '../../config/index.js';
import { startDevServer } from '../../dev/index.js';
import type { CommandContext, GlobalFlags } from '../context.js';
import type { Output } from '../output.js';

function limitsText(fn: FunctionArtifact): string {
  const { memoryPages, timeoutMs, cacheTtlMs, concurrency } = fn.limits;
  const parts = [`${memoryPages} page${memoryPages === 1 ? '' : 's'}`, `timeout ${formatDuration(timeoutMs)}`, `ttl ${formatDuration(cacheTtlMs)}`];
  if (concurrency !== null) parts.push(`concurrency ${concurrency}`);
  return parts.join(', ');
}

function printRoutes(out: Output, url: string, functions: readonly FunctionArtifact[]): void {
  const rows: string[][] = [];
  for (const fn of functions) {
    rows.push([out.paint('bold', fn.name), `${url}/exec/${fn.name}`, out.paint('gray', limitsText(fn))]);
    for (const route of fn.routes) rows.push(['', `${route.method} ${url}${route.path}`, '']);
  }
  out.table(rows);
}

export function registerDev(cli: Argv<GlobalFlags>, ctx: CommandContext): Argv<GlobalFlags> {
  return cli.command(
    'dev',
    'Build and serve the project locally, with the same executor and limits as the platform',
    (command) =>
      command
        .option('port', { alias: 'p', type: 'number', default: 8000, describe: 'Port to listen on (0 picks a free one)' })
        .option('host', { type: 'string', default: '127.0.0.1', describe: 'Address to listen on' })
        .option('workers', { type: 'number', default: availableParallelism(), describe: 'Worker threads running invocations' })
        .example('$0 dev -c examples/nano.yml', 'Serve the examples on http://127.0.0.1:8000')
        .example('$0 dev --port 0', 'Serve on any free port (the URL is printed)'),
    async (flags) => {
      const out = ctx.output(flags);
      const config = await resolveConfig(flags.config, { stage: flags.stage, env: ctx.io.env, cwd: ctx.io.cwd });
      const built = await buildProject(config, {
        cwd: ctx.io.cwd,
        onProgress: ({ name, index, total }) => out.progress(`building ${name} (${index + 1}/${total})`),
      });
      out.clearProgress();
      const server = await startDevServer({
        port: flags.port,
        host: flags.host,
        executor: { poolSize: Math.max(1, flags.workers) },
        onInternalError: (error) => out.error(`internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`),
      });
      try {
        const loaded = await server.load(built.buildDir, built.manifest);
        out.line(`${out.paint('green', '✓')} ${config.service} (${config.stage}): ${loaded.length} function${loaded.length === 1 ? '' : 's'}`);
        printRoutes(out, server.url, built.manifest.functions);
        out.line();
        // The bench and the tests wait for this exact line.
        out.line(`nano dev: listening on ${server.url} — Ctrl-C to stop`);
        out.result({ url: server.url, functions: loaded });
        await ctx.io.interrupted();
        out.line('stopping…');
      } finally {
        await server.close();
      }
    },
  );
}
