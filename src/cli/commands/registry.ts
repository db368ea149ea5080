/** `nano registry copy`: move a platform's registry between a data folder and a shared Redis, either way. */
import type { Argv } from 'yargs';
import { maskRegistryUrl } from '../../registry/registry-url.js';
import type { CommandContext, GlobalFlags } from '../context.js';
import { formatBytes, plural } from '../format.js';

export function registerRegistry(cli: Argv<GlobalFlags>, ctx: CommandContext): Argv<GlobalFlags> {
  return cli.command('registry', "Work on a platform's registry directly (no server needed)", (registry) =>
    registry
      .command(
        'copy',
        'Copy every function, version and artifact of one registry into an empty one (a migration, or a backup)',
        (command) =>
          command
            .option('from', {
              type: 'string',
              demandOption: true,
              describe: 'The registry to read: file:DIR (a --data folder) or redis://…',
            })
            .option('to', {
              type: 'string',
              demandOption: true,
              describe: 'The registry to fill, which must be empty: file:DIR or redis://…',
            })
            .example(
              '$0 registry copy --from file:./.nano-data --to redis://127.0.0.1:6379',
              'Move a one-node platform to a shared registry',
            )
            .example(
              '$0 registry copy --from redis://127.0.0.1:6379 --to file:./backup-2026-12-02',
              'Back a shared registry up into a folder',
            ),
        async (flags) => {
          const out = ctx.output(flags);
          const { copyRegistry } = await import('../../registry/copy-registry.js');
          const report = await copyRegistry(flags.from, flags.to, (done, total) =>
            out.progress(`copying artifacts (${done + 1}/${total})`),
          );
          out.clearProgress();
          out.line(
            `✓ copied ${plural(report.functions, 'function')} (${plural(report.versions, 'version')}, ${plural(report.artifacts, 'artifact')}, ${formatBytes(report.bytesCopied)} new) of revision ${report.revision}`,
          );
          out.result({ from: maskRegistryUrl(flags.from), to: maskRegistryUrl(flags.to), ...report });
        },
      )
      .demandCommand(1, 'name what to do: `nano registry copy --from … --to …`'),
  );
}
