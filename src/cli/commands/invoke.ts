/**
 * `nano invoke <fn> [args..]`: one invocation, printed. Remote by default, through
 * the platform's data plane (`GET /exec/<fn>?a,b`); `--local` runs it here
 * through the executor, with no server. A `wagi` function gets a request of the
 * caller's own (--method, --path, -H, --data, --data-binary), and its response
 * body is printed as it is.
 */
import type { Argv } from 'yargs';
import { functionNotFound } from '../../errors.js';
import { UsageError, type CommandContext, type GlobalFlags } from '../context.js';
import { rawRequestOf, wantsRawRequest, type RawRequest, type RequestFlags } from '../http-request-flags.js';
import type { Output } from '../output.js';
import { connect, withUrlOption, type RemoteFlags } from '../remote.js';

interface InvokeFlags extends RemoteFlags, RequestFlags {
  fn: string;
  args?: string[];
  data?: string;
}

/** A function's HTTP response, as curl prints it: the body as it is; under --json, status, headers and body. */
async function printResponse(name: string, response: Response, ctx: CommandContext, out: Output): Promise<void> {
  const body = await response.text();
  if (out.json) out.result({ name, status: response.status, headers: Object.fromEntries(response.headers), body });
  else ctx.io.stdout.write(body);
  if (response.status >= 400) {
    out.error(`${name} answered ${response.status}`);
    ctx.setExitCode(1);
  }
}

/** The function named on the command line, built from the project (for --local). */
async function buildOne(flags: InvokeFlags, ctx: CommandContext) {
  const { resolveConfig } = await import('../../config/index.js');
  const { buildProject } = await import('../../build/index.js');
  const config = await resolveConfig(flags.config, { stage: flags.stage, env: ctx.io.env, cwd: ctx.io.cwd });
  const built = await buildProject(config, { cwd: ctx.io.cwd, only: [flags.fn] });
  const fn = built.manifest.functions.find((item) => item.name === flags.fn);
  const bytes = built.artifacts.get(flags.fn);
  if (!fn || !bytes) throw functionNotFound(flags.fn);
  return { fn, bytes };
}

/** Runs a `wagi` function here: built, deployed into an executor, and asked through the same HTTP app as `nano dev`. */
async function requestLocally(flags: InvokeFlags, request: RawRequest, ctx: CommandContext, out: Output): Promise<void> {
  const { createExecutor } = await import('../../runtime/index.js');
  const { createApp, RouteTable } = await import('../../server/index.js');
  const { fn, bytes } = await buildOne(flags, ctx);
  if (fn.abi !== 'wagi') {
    throw new UsageError(
      `${fn.name} takes arguments, not a request: give them as numbers (--method, --path, -H, --data and --data-binary are for wagi functions here)`,
    );
  }
  const executor = createExecutor({ poolSize: 1 });
  try {
    await executor.deploy(fn, bytes, 1);
    const app = createApp({ host: executor, routes: new RouteTable() });
    const response = await app.request(`http://localhost/exec/${fn.name}${request.path}`, {
      method: request.method,
      headers: request.headers,
      ...(request.body === undefined ? {} : { body: request.body }),
    });
    await printResponse(fn.name, response, ctx, out);
  } finally {
    await executor.close();
  }
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
        .option('data', {
          alias: 'd',
          type: 'string',
          describe:
            'POST this JSON instead: [5,2] or {"args":[5,2]}; for a wagi function the request body (with -X, --path, -H, or --local)',
        })
        .option('method', { alias: 'X', type: 'string', describe: 'wagi: the request method (default GET, or POST with a body)' })
        .option('path', { type: 'string', describe: 'wagi: the path after /exec/<fn>, with its query: /items/7?full=1' })
        .option('header', { alias: 'H', type: 'string', array: true, describe: 'wagi: a request header, "Name: value" (repeatable)' })
        .option('data-binary', { type: 'string', describe: 'wagi: the request body as is; @file sends a file' })
        .parserConfiguration({ 'parse-numbers': false, 'parse-positional-numbers': false, 'populate--': true })
        .example('$0 invoke sum 5 2', 'Run sum(5, 2) on the platform of nano.yml (provider.url) → 7')
        .example('$0 invoke sum 5 2 --url http://127.0.0.1:8000', 'On another platform')
        .example(`$0 invoke sum -d '[5,2]'`, 'POST the arguments as JSON')
        .example('$0 invoke sum 5 2 --local', 'Build, then run sum(5, 2) locally → 7')
        .example('$0 invoke sum --local -- -5 2', 'Negative numbers go after -- (flags before it)')
        .example(`$0 invoke items --path /7 -H 'accept: text/plain'`, 'A wagi function: GET /exec/items/7 with a header')
        .example('$0 invoke echo --data-binary @photo.jpg --local', 'POST a file to a wagi function, run here')
        .epilogue('A platform started with --exec-token needs that token in NANO_EXEC_TOKEN.'),
    async (parsed) => {
      // Arguments after `--` (where negative numbers must go) join the positional ones.
      const afterDashes = ((parsed as { '--'?: unknown[] })['--'] ?? []).map(String);
      const flags = { ...parsed, args: [...(parsed.args ?? []).map(String), ...afterDashes] };
      const out = ctx.output(flags);
      // Locally, --data is a wagi function's body (an args function takes numbers there).
      if (wantsRawRequest(flags) || (flags.local && flags.data !== undefined)) {
        if ((flags.args ?? []).length > 0)
          throw new UsageError('a request (--method, --path, -H, --data-binary) takes no positional arguments');
        const request = await rawRequestOf(flags, ctx.io.cwd);
        if (flags.local) {
          if (flags.url !== undefined) throw new UsageError('--url and --local exclude each other');
          await requestLocally(flags, request, ctx, out);
          return;
        }
        const { HttpClient, requestRemote } = await import('../../client/index.js');
        const { url } = await connect(flags, ctx, 'url');
        const http = new HttpClient({ url, token: ctx.io.env.NANO_EXEC_TOKEN || undefined, tokenSource: 'NANO_EXEC_TOKEN' });
        await printResponse(flags.fn, await requestRemote(http, flags.fn, request), ctx, out);
        return;
      }
      if (!flags.local) {
        if (flags.data !== undefined && (flags.args ?? []).length > 0) {
          throw new UsageError('give the arguments either as positional numbers or with --data, not both');
        }
        await invokeOnPlatform(flags, ctx, out);
        return;
      }
      if (flags.url !== undefined) throw new UsageError('--url and --local exclude each other');
      const { coerceArgs, createExecutor } = await import('../../runtime/index.js');
      const { fn, bytes } = await buildOne(flags, ctx);
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
