/** `nano rollback <fn> [--to v]`: switch a function back to an earlier version. */
import type { Argv } from 'yargs';
import { UsageError, type CommandContext, type GlobalFlags } from '../context.js';
import { convergenceText } from '../format.js';
import { connect, withUrlOption } from '../remote.js';

/** "2" or "v2" → 2. */
function parseVersion(value: string): number {
  const match = /^v?([1-9][0-9]*)$/i.exec(value.trim());
  if (!match) throw new UsageError(`--to: expected a version like 2 or v2, got "${value}"`);
  return Number(match[1]);
}

export function registerRollback(cli: Argv<GlobalFlags>, ctx: CommandContext): Argv<GlobalFlags> {
  return cli.command(
    'rollback <fn>',
    'Switch a function back to an earlier version (default: the one before the current)',
    (command) =>
      withUrlOption(command)
        .positional('fn', { type: 'string', demandOption: true, describe: 'Function name' })
        .option('to', { type: 'string', describe: 'The version to switch to: 2 or v2 (`nano info <fn>` lists them)' })
        .example('$0 rollback sum', 'Back to the version before the current one')
        .example('$0 rollback sum --to v1', 'To version 1 (any of the last 20)'),
    async (flags) => {
      const out = ctx.output(flags);
      const to = flags.to === undefined ? undefined : parseVersion(flags.to);
      const { client } = await connect(flags, ctx, 'url');
      const done = await client.rollback(flags.fn, to);
      const was = done.from === done.version ? 'it already did' : `was v${done.from}`;
      out.line(`${out.paint('green', '✓')} ${done.name} now runs v${done.version} (${was})`);
      const spread = convergenceText(done.convergence);
      if (spread !== undefined) out.line(spread);
      out.result(done);
    },
  );
}
