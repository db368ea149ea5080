/** `nano deploy`: build, then ship what changed to the platform and switch to it atomically. */
import { relative } from 'node:path';
import type { Argv } from 'yargs';
import type { DeployProgress } from '../../client/index.js';
import type { FunctionChange } from '../../server/control-api.js';
import type { CommandContext, GlobalFlags } from '../context.js';
import { convergenceText, formatBytes, plural } from '../format.js';
import type { Output } from '../output.js';
import { connect, withUrlOption } from '../remote.js';

function progressText(event: DeployProgress): string {
  switch (event.phase) {
    case 'plan':
      return `comparing ${plural(event.functions, 'function')} with the platform`;
    case 'upload':
      return `uploading ${event.name} (${event.index + 1}/${event.total}, ${formatBytes(event.bytes)})`;
    case 'commit':
      return 'switching to the new versions';
  }
}

function changeCell(out: Output, change: FunctionChange, version: number): string {
  switch (change) {
    case 'created':
      return out.paint('green', `created v${version}`);
    case 'updated':
      return out.paint('cyan', `updated v${version}`);
    case 'unchanged':
      return out.paint('gray', `unchanged v${version}`);
    case 'removed':
      return out.paint('yellow', 'removed');
  }
}

const MARK: Record<FunctionChange, string> = { created: '+', updated: '~', unchanged: '·', removed: '-' };

export function registerDeploy(cli: Argv<GlobalFlags>, ctx: CommandContext): Argv<GlobalFlags> {
  return cli.command(
    'deploy',
    'Build, upload what changed to the platform, and switch every function to its new version at once',
    (command) =>
      withUrlOption(command)
        .option('function', {
          alias: 'f',
          type: 'string',
          array: true,
          describe: 'Deploy only this function (repeatable); others stay as they are',
        })
        .example('NANO_TOKEN=secret $0 deploy', 'Deploy every function of ./nano.yml to provider.url; remove the ones no longer in it')
        .example('$0 deploy -f sum', 'Deploy only sum')
        .example('$0 deploy --url http://127.0.0.1:8000', 'Deploy to another platform than provider.url')
        .epilogue('Only artifacts the platform lacks are uploaded: an unchanged project uploads 0 bytes.'),
    async (flags) => {
      const { buildProject } = await import('../../build/index.js');
      const { deployBuild } = await import('../../client/index.js');
      const out = ctx.output(flags);
      const started = performance.now();
      const { client, config, url } = await connect(flags, ctx, 'config', true);
      if (!config) throw new Error('connect() returns the config when it is required');

      const built = await buildProject(config, {
        only: flags.function,
        cwd: ctx.io.cwd,
        onProgress: ({ name, index, total }) => out.progress(`building ${name} (${index + 1}/${total})`),
        onCommand: ({ command, functions }) => out.progress(`running \`${command}\` for ${functions.join(', ')}`),
      });
      const rebuilt = built.reports.filter((report) => report.status === 'built').length;
      out.clearProgress();
      if (rebuilt > 0) {
        const where = relative(ctx.io.cwd, built.buildDir) || '.';
        out.line(out.paint('gray', `built ${plural(rebuilt, 'function')} → ${where}`));
      }

      const result = await deployBuild(client, {
        build: built,
        only: flags.function,
        descriptions: new Map(config.functions.map((fn) => [fn.name, fn.description])),
        onProgress: (event) => out.progress(progressText(event)),
      });
      out.clearProgress();
      const elapsed = Math.round(performance.now() - started);

      const routes = new Map(built.manifest.functions.map((fn) => [fn.name, fn.routes]));
      const order = new Map(built.manifest.functions.map((fn, index) => [fn.name, index]));
      const functions = [...result.functions].sort(
        (a, b) => (order.get(a.name) ?? Infinity) - (order.get(b.name) ?? Infinity) || a.name.localeCompare(b.name),
      );
      out.line(`${out.paint('green', '✓')} deployed ${config.service} (${config.stage}) to ${url} in ${elapsed} ms`);
      const rows: string[][] = [];
      for (const fn of functions) {
        const removed = fn.change === 'removed';
        rows.push([MARK[fn.change], out.paint('bold', fn.name), changeCell(out, fn.change, fn.version), removed ? '' : fn.url]);
        if (removed) continue;
        const origin = URL.canParse(fn.url) ? new URL(fn.url).origin : url;
        for (const route of routes.get(fn.name) ?? []) rows.push(['', '', '', `${route.method} ${origin}${route.path}`]);
      }
      out.table(rows);
      const count = result.uploaded.length;
      out.line(
        count === 0
          ? `uploaded 0 B: every artifact was already on the platform`
          : `uploaded ${formatBytes(result.uploadedBytes)} (${plural(count, 'artifact')})`,
      );
      const spread = convergenceText(result.convergence);
      if (spread !== undefined) out.line(spread);
      out.result({
        service: config.service,
        stage: config.stage,
        url,
        deployment: result.id,
        functions: functions.map((fn) => ({ ...fn, routes: fn.change === 'removed' ? [] : (routes.get(fn.name) ?? []) })),
        uploaded: result.uploaded,
        uploadedBytes: result.uploadedBytes,
        durationMs: elapsed,
        ...(result.revision === undefined ? {} : { revision: result.revision }),
        ...(result.convergence === undefined ? {} : { convergence: result.convergence }),
      });
    },
  );
}
