/**
 * The CLI frame: parse argv with yargs, run one command, return its exit code
 * (0 ok, 1 failure, 2 bad usage). It never calls process.exit — bin.ts does —
 * so tests drive it in-process with captured output.
 */
import yargs, { type Argv } from 'yargs';
import { NANO_VERSION } from '../package-root.js';
import { registerBuild } from './commands/build.js';
import { registerDeploy } from './commands/deploy.js';
import { registerDev } from './commands/dev.js';
import { registerInfo } from './commands/info.js';
import { registerInit } from './commands/init.js';
import { registerInvoke } from './commands/invoke.js';
import { registerLogs } from './commands/logs.js';
import { registerRegistry } from './commands/registry.js';
import { registerRemove } from './commands/remove.js';
import { registerRollback } from './commands/rollback.js';
import { registerServer } from './commands/server.js';
import { createContext, type CommandContext, type GlobalFlags } from './context.js';
import { processIo, type CliIo } from './io.js';
import { createOutput } from './output.js';
import { reportError } from './report-error.js';
import { parserState, rejectNaN, usageError, wantsJson } from './usage-messages.js';

// Registering a command must stay cheap, so a command module's static imports stay light. What the command
// does (wabt, ajv, hono, chokidar, the runtime, the server) it imports in its handler with `await import(...)`:
// `nano --version`, `nano --help` and `nano <command> --help` then load yargs and these definitions alone, and
// each command loads only its own work (test/cli/lazy-imports.test.ts checks it).
const COMMANDS: readonly ((cli: Argv<GlobalFlags>, ctx: CommandContext) => Argv<GlobalFlags>)[] = [
  registerInit,
  registerBuild,
  registerDev,
  registerServer,
  registerDeploy,
  registerInvoke,
  registerInfo,
  registerLogs,
  registerRollback,
  registerRemove,
  registerRegistry,
];

function parser(argv: readonly string[], ctx: CommandContext): Argv<GlobalFlags> {
  let cli = yargs([...argv])
    .scriptName('nano')
    .usage('nano — build, run and deploy WebAssembly functions\n\nUsage: $0 <command> [options]')
    .option('config', { alias: 'c', type: 'string', default: 'nano.yml', describe: 'Path to the project file', global: true })
    .option('stage', { type: 'string', default: 'dev', describe: 'Stage, available in nano.yml as ${stage}', global: true })
    .option('json', { type: 'boolean', default: false, describe: 'Machine-readable output on stdout', global: true })
    .strict()
    .demandCommand(1, 'Name a command.')
    .middleware((flags) => rejectNaN(flags, argv))
    .completion('completion', 'Print a shell completion script for bash or zsh: nano completion >> ~/.bashrc')
    .help()
    .alias('help', 'h')
    .version(NANO_VERSION)
    .wrap(Math.min(110, ctx.io.stdout.columns ?? 100))
    .epilogue('Docs: README.md · nano.yml reference: schema/nano.schema.json')
    .exitProcess(false)
    .fail((message, error) => {
      if (error) throw error;
      // yargs' own wording ("Unknown argument: prot") becomes nano's, with a did-you-mean (usage-messages.ts).
      throw usageError(message, argv, parserState(cli));
    }) as unknown as Argv<GlobalFlags>;
  for (const register of COMMANDS) cli = register(cli, ctx);
  return cli;
}

export async function main(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  let exitCode = 0;
  const ctx = createContext(io, (code) => {
    exitCode = code;
  });
  try {
    await parser(argv, ctx).parseAsync([...argv], {}, (_error, _flags, helpOrVersion) => {
      // yargs hands --help and --version text here instead of printing it.
      if (helpOrVersion) io.stdout.write(`${helpOrVersion}\n`);
    });
    return exitCode;
  } catch (error) {
    // A usage error may come before --json is parsed (or be about the flags around it): argv says.
    return reportError(error, createOutput(io, { json: wantsJson(argv) }));
  }
}
