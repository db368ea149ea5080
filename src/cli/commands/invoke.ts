/** `nano invoke <fn> [args..] --local`: one invocation through the executor, no server. */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Argv } from 'yargs';
import { buildProject } from '../../build/index.js';
import { resolveConfig } from '../../config/index.js';
import { NanoError } from '../../errors.js';
import { coerceArgs, createExecutor } from '../../runtime/index.js';
import { UsageError, type CommandContext, type GlobalFlags } from '../context.js';

export function registerInvoke(cli: Argv<GlobalFlags>, ctx: CommandContext): Argv<GlobalFlags> {
  return cli.command(
    'invoke <fn> [args..]',
    'Invoke a function once and print its result',
    (command) =>
      command
        .positional('fn', { type: 'string', demandOption: true, describe: 'Function name' })
        .positional('args', { type: 'string', array: true, default: [], describe: 'Arguments, as numbers' })
        .option('local', { type: 'boolean', default: false, describe: 'Run it here, through the same executor as `nano dev`' })
        .parserConfiguration({ 'parse-numbers': false, 'parse-positional-numbers': false })
        .example('$0 invoke sum 5 2 --local', 'Build, then run sum(5, 2) locally → 7')
        .example('$0 invoke sum -- -5 2 --local', 'Negative numbers go after --'),
    async (flags) => {
      if (!flags.local) {
        throw new UsageError('remote invocation is not available yet; pass --local to run the function here');
      }
      const out = ctx.output(flags);
      const config = await resolveConfig(flags.config, { stage: flags.stage, env: ctx.io.env, cwd: ctx.io.cwd });
      const built = await buildProject(config, { cwd: ctx.io.cwd, only: [flags.fn] });
      const fn = built.manifest.functions.find((item) => item.name === flags.fn);
      if (!fn) throw new NanoError('FunctionNotFound', `no function named "${flags.fn}"`, { value: flags.fn });
      const args = coerceArgs(fn.name, fn.signature, (flags.args ?? []).map(String));
      const executor = createExecutor({ poolSize: 1 });
      try {
        await executor.deploy(fn, new Uint8Array(await readFile(join(built.buildDir, fn.artifact))), 1);
        const result = await executor.invoke(fn.name, args);
        out.line(result.value);
        out.result({ name: fn.name, value: result.value, durationMs: result.durationMs, coldStart: result.coldStart });
      } finally {
        await executor.close();
      }
    },
  );
}
