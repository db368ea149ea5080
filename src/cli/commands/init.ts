/** `nano init [dir] --template <name>`: scaffold a working project. */
import { relative, resolve } from 'node:path';
import type { Argv } from 'yargs';
import { initProject, listTemplates } from '../../init/index.js';
import type { CommandContext, GlobalFlags } from '../context.js';
import { invocationOf } from '../invocation.js';

export function registerInit(cli: Argv<GlobalFlags>, ctx: CommandContext): Argv<GlobalFlags> {
  return cli.command(
    'init [dir]',
    'Create a new nano project from a template',
    (command) =>
      command
        .positional('dir', { type: 'string', default: '.', describe: 'Folder to create the project in (must be empty or absent)' })
        .option('template', {
          alias: 't',
          type: 'string',
          default: 'wat',
          describe: `Template to start from (${listTemplates().join(', ')})`,
        })
        .example('$0 init hello', 'Create ./hello with a WAT function')
        .example('$0 init . --template wat', 'Scaffold into the current (empty) folder'),
    async (flags) => {
      const out = ctx.output(flags);
      const dir = resolve(ctx.io.cwd, flags.dir);
      // The next steps are typed in the new project's folder, the way nano was run this time.
      const created = await initProject(dir, flags.template, {
        command: () => invocationOf(ctx.io.script, ctx.io.env, dir),
      });
      const shown = relative(ctx.io.cwd, dir) || '.';
      out.line(`${out.paint('green', '✓')} created ${created.service} in ${shown} from the "${flags.template}" template:`);
      for (const file of created.files) out.line(`    ${file}`);
      out.line();
      out.line('Next:');
      if (shown !== '.') out.line(`  cd ${shown}`);
      for (const step of created.nextSteps) out.line(`  ${step}`);
      out.result({ dir, service: created.service, template: flags.template, files: created.files });
    },
  );
}
