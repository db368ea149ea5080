/** `nano build`: compile and check every function, write .nano/build/. */
import { relative } from 'node:path';
import type { Argv } from 'yargs';
import type { CommandContext, GlobalFlags } from '../context.js';
import { formatMs } from '../format.js';

export function registerBuild(cli: Argv<GlobalFlags>, ctx: CommandContext): Argv<GlobalFlags> {
  return cli.command(
    'build',
    'Run build: commands, compile every function (WAT → Wasm), check it against its limits, and write .nano/build/',
    (command) =>
      command
        .option('function', { alias: 'f', type: 'string', array: true, describe: 'Build only this function (repeatable)' })
        .example('$0 build', 'Build every function of ./nano.yml')
        .example('$0 build -c examples/nano.yml -f sum', 'Build one function of another project')
        .example('$0 build --json', 'Print the result as JSON'),
    async (flags) => {
      const { resolveConfig } = await import('../../config/index.js');
      const { buildProject } = await import('../../build/index.js');
      const out = ctx.output(flags);
      const config = await resolveConfig(flags.config, { stage: flags.stage, env: ctx.io.env, cwd: ctx.io.cwd });
      const started = performance.now();
      const result = await buildProject(config, {
        only: flags.function,
        cwd: ctx.io.cwd,
        onProgress: ({ name, index, total }) => out.progress(`building ${name} (${index + 1}/${total})`),
        onCommand: ({ command, functions }) => out.progress(`running \`${command}\` for ${functions.join(', ')}`),
      });
      out.clearProgress();
      for (const run of result.commands) {
        out.line(out.paint('gray', `ran \`${run.command}\` for ${run.functions.join(', ')} in ${formatMs(run.durationMs)}`));
      }
      const elapsed = Math.round(performance.now() - started);
      const byName = new Map(result.manifest.functions.map((fn) => [fn.name, fn]));
      out.table(
        result.reports.map((report) => {
          const built = report.status === 'built';
          const artifact = byName.get(report.name);
          return [
            built ? out.paint('green', '✓') : out.paint('gray', '·'),
            report.name,
            built ? 'built' : out.paint('gray', 'up to date'),
            artifact ? `${artifact.size} B` : '',
            built ? `${Math.max(1, Math.round(report.durationMs))} ms` : '',
          ];
        }),
      );
      const builtCount = result.reports.filter((report) => report.status === 'built').length;
      const where = relative(ctx.io.cwd, result.buildDir) || '.';
      const summary =
        builtCount === 0
          ? `all ${result.reports.length} up to date`
          : `${builtCount} built, ${result.reports.length - builtCount} up to date`;
      out.line(`${result.reports.length} function${result.reports.length === 1 ? '' : 's'} → ${where} (${summary}) in ${elapsed} ms`);
      out.result({
        buildDir: result.buildDir,
        commands: result.commands,
        functions: result.reports.map((report) => {
          const artifact = byName.get(report.name);
          return { name: report.name, status: report.status, sha256: artifact?.sha256, size: artifact?.size };
        }),
      });
    },
  );
}
