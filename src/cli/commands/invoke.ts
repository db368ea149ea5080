/**
 * `nano invoke <fn> [args..]`: one invocation, printed. Remote by default, through
 * the platform's data plane (`GET /exec/<fn>?a,b`); `--local` runs it here
 * through the executor, with no server.
 */
import type { Argv } from 'yargs';
import { NanoError } from '../../errors.js';
import { UsageError, type CommandContext, type GlobalFlags } from '../context.js';
import type { Output } from '../output.js';
import { connect, withUrlOption, type RemoteFlags } from '../remote.js';

interface InvokeFlags extends RemoteFlags {
  fn: string;
  args?: string[];
  data?: string;
}

async function invokeOnPlatform(flags: InvokeFlags, ctx: CommandContext, out: Output): Promise<void> {
  const { HttpClient, invokeRemote } = await import('../../client/index.js');
  const { url } = await connect(flags, ctx, 'url');
  // The data plane is open unless the server was started with --exec-token.
  const token = ctx.io.env.NANO_EXEC_TOKEN || undefined;
  const http = new HttpClient({ url, token, tokenSource: 'NANO_EXEC_TOKEN' });
  const result = await invokeRemote(http, flags.fn, {
    args: (flags.args ?? []).map(String),
    ...(flags.data === undefined ? {} : { json: flags.data }),
  });
  out.line(result.value);
  out.result(result);
}

export function registerInvoke(cli: Argv<GlobalFlags>, ctx: CommandContext): Argv<GlobalFlags> {
  return cli.command(
    'invoke <fn> [args..]',
    'Invoke a function on the platform (or here, with --local) and print its result',
    (command) =>
      withUrlOption(command)
        .positional('fn', { type: 'string', demandOption: true, describe: 'Function name' })
        .positional('args', { type: 'string', array: true, default: [], describe: 'Arguments, as numbers' })
        .option('local', { type: 'boolean', default: false, describe: 'Run it here, through the same executor as `nano dev`' })
        .option('data', { alias: 'd', type: 'string', describe: 'POST this JSON instead: [5,2] or {"args":[5,2]} (remote only)' })
        .parserConfiguration({ 'parse-numbers': false, 'parse-positional-numbers': false, 'populate--': true })
        .example('$0 invoke sum 5 2', 'Run sum(5, 2) on the platform of nano.yml (provider.url) → 7')
        .example('$0 invoke sum 5 2 --url http://127.0.0.1:8000', 'On another platform')
        .example(`$0 invoke sum -d '[5,2]'`, 'POST the arguments as JSON')
        .example('$0 invoke sum 5 2 --local', 'Build, then run sum(5, 2) locally → 7')
        .example('$0 invoke sum --local -- -5 2', 'Negative numbers go after -- (flags before it)')
        .epilogue('A platform started with --exec-token needs that token in NANO_EXEC_TOKEN.'),
    async (parsed) => {
      // Arguments after `--` (where negative numbers must go) join the positional ones.
      const afterDashes = ((parsed as { '--'?: unknown[] })['--'] ?? []).map(String);
      const flags = { ...parsed, args: [...(parsed.args ?? []).map(String), ...afterDashes] };
      const out = ctx.output(flags);
      if (!flags.local) {
        if (flags.data !== undefined && (flags.args ?? []).length > 0) {
          throw new UsageError('give the arguments either as positional numbers or with --data, not both');
        }
        await invokeOnPlatform(flags, ctx, out);
        return;
      }
      if (flags.data !== undefined) throw new UsageError('--data is for remote invocations; with --local give the arguments as numbers');
      if (flags.url !== undefined) throw new UsageError('--url and --local exclude each other');
      const { resolveConfig } = await import('../../config/index.js');
      const { buildProject } = await import('../../build/index.js');
      const { coerceArgs, createExecutor } = await import('../../runtime/index.js');
      const config = await resolveConfig(flags.config, { stage: flags.stage, env: ctx.io.env, cwd: ctx.io.cwd });
      const built = await buildProject(config, { cwd: ctx.io.cwd, only: [flags.fn] });
      const fn = built.manifest.functions.find((item) => item.name === flags.fn);
      const bytes = built.artifacts.get(flags.fn);
      if (!fn || !bytes) throw new NanoError('FunctionNotFound', `no function named "${flags.fn}"`, { value: flags.fn });
      const args = coerceArgs(fn.name, fn.signature, (flags.args ?? []).map(String));
      const executor = createExecutor({ poolSize: 1 });
      try {
        await executor.deploy(fn, bytes, 1);
        const result = await executor.invoke(fn.name, args);
        out.line(result.value);
        out.result({ name: fn.name, value: result.value, durationMs: result.durationMs, coldStart: result.coldStart });
      } finally {
        await executor.close();
      }
    },
  );
}
