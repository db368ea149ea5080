/** `nano remove [-f fn]`: take functions off the platform, after asking on a terminal. */
import type { Argv } from 'yargs';
import { NanoError } from '../../errors.js';
import type { FunctionSummary } from '../../server/control-api.js';
import { UsageError, type CommandContext, type GlobalFlags } from '../context.js';
import { plural } from '../format.js';
import { connect, withUrlOption } from '../remote.js';

export function registerRemove(cli: Argv<GlobalFlags>, ctx: CommandContext): Argv<GlobalFlags> {
  return cli.command(
    'remove',
    "Remove the project's functions (or only those named) from the platform",
    (command) =>
      withUrlOption(command)
        .option('function', { alias: 'f', type: 'string', array: true, describe: 'Remove only this function (repeatable)' })
        .option('yes', { alias: 'y', type: 'boolean', default: false, describe: 'Do not ask for confirmation (needed without a terminal)' })
        .example('$0 remove', 'Remove every function of ./nano.yml, after asking')
        .example('$0 remove -f sum --yes', 'Remove only sum, without asking'),
    async (flags) => {
      const out = ctx.output(flags);
      const named = flags.function?.length ? [...new Set(flags.function)] : undefined;
      const { client, config, url } = await connect(flags, ctx, named ? 'url' : 'config');
      const { functions } = await client.listFunctions();
      const onServer = new Map<string, FunctionSummary>(functions.map((fn) => [fn.name, fn]));

      // The whole service: what nano.yml declares and what the platform holds for its service and stage.
      const wanted = named ?? [
        ...new Set([
          ...(config?.functions.map((fn) => fn.name) ?? []),
          ...functions.filter((fn) => fn.service === config?.service && fn.stage === config.stage).map((fn) => fn.name),
        ]),
      ];
      const targets: string[] = [];
      const notDeployed: string[] = [];
      for (const name of wanted) {
        const fn = onServer.get(name);
        if (!fn) notDeployed.push(name);
        else if (config && !named && (fn.service !== config.service || fn.stage !== config.stage)) {
          // A function of the same name that another service deployed is not ours to remove.
          out.error(`${out.paint('yellow', '!')} skipping ${name}: it belongs to ${fn.service} (${fn.stage}) on ${url}`);
        } else targets.push(name);
      }
      if (notDeployed.length > 0) out.line(out.paint('gray', `not deployed: ${notDeployed.join(', ')}`));
      if (targets.length === 0) {
        out.line(`nothing to remove on ${url}`);
        out.result({ url, removed: [], notDeployed });
        return;
      }

      if (!flags.yes) {
        if (!ctx.io.prompt) {
          throw new UsageError(`nano remove asks before removing ${targets.join(', ')}, and there is no terminal to ask on: pass --yes`);
        }
        const answer = await ctx.io.prompt(
          `Remove ${plural(targets.length, 'function')} from ${url}: ${targets.join(', ')}? Every version goes with them. [y/N] `,
        );
        if (!/^y(es)?$/i.test(answer.trim())) {
          out.error('cancelled: nothing was removed');
          ctx.setExitCode(1);
          return;
        }
      }

      const removed: string[] = [];
      for (const name of targets) {
        try {
          await client.remove(name);
          removed.push(name);
          out.line(`${out.paint('yellow', '-')} ${name} removed`);
        } catch (error) {
          // Removed by someone else in the meantime: the goal is reached all the same.
          if (!(error instanceof NanoError && error.code === 'FunctionNotFound')) throw error;
          notDeployed.push(name);
          out.line(out.paint('gray', `· ${name} was already gone`));
        }
      }
      out.line(`${out.paint('green', '✓')} removed ${plural(removed.length, 'function')} from ${url}`);
      out.result({ url, removed, notDeployed });
    },
  );
}
