/**
 * yargs' own messages reworded as nano's: "Unknown argument: prot" becomes `nano dev has no flag --prot`
 * with "did you mean --port?", "Not enough non-option arguments: got 0, need at least 1" becomes
 * `nano invoke needs a function name: nano invoke <fn> [args]`, and a number flag yargs read as NaN names
 * what was typed. The suggestions come from what the failing command accepts, as yargs registered it, so
 * a new command or flag is suggested without being listed here.
 */
import { didYouMean } from '../config/did-you-mean.js';
import { UsageError } from './context.js';

/** What yargs knows of the command whose parse failed. */
export interface ParserState {
  /** The failing command as typed, `nano invoke`; `nano` at the top level. */
  command: string;
  /** Its usage as registered, `nano invoke <fn> [args]`; undefined at the top level. */
  usage: string | undefined;
  /** The top-level command names. */
  commands: readonly string[];
  /** Every flag the failing command accepts, long and short, without dashes. */
  flags: readonly string[];
}

/** The parts of a yargs 18 instance read here; @types/yargs does not declare them, so each is optional. */
interface YargsInternals {
  getOptions?: () => { key?: Record<string, unknown> };
  getInternalMethods?: () => {
    getContext?: () => { fullCommands?: string[] };
    getCommandInstance?: () => { getCommands?: () => string[] };
  };
}

/**
 * Reads the failing command from the yargs instance (it holds the command being parsed while `fail`
 * runs). A yargs that no longer offers these gives empty lists: plainer messages, never a crash.
 */
export function parserState(cli: unknown): ParserState {
  const yargs = cli as YargsInternals;
  let fullCommands: string[] = [];
  let commands: string[] = [];
  let flags: string[] = [];
  try {
    const internal = yargs.getInternalMethods?.();
    fullCommands = internal?.getContext?.().fullCommands ?? [];
    commands = internal?.getCommandInstance?.().getCommands?.() ?? [];
    flags = Object.keys(yargs.getOptions?.().key ?? {});
  } catch {
    // As documented above: no suggestions rather than a crash.
  }
  const words = fullCommands.map((usage) => usage.split(' ')[0] ?? usage);
  const last = fullCommands[fullCommands.length - 1];
  const usage = last === undefined ? undefined : ['nano', ...words.slice(0, -1), last.replaceAll('..]', ']')].join(' ');
  return { command: ['nano', ...words].join(' '), usage, commands, flags };
}

/** How a missing positional is named in a message. */
const POSITIONAL_NOUNS: Readonly<Record<string, string>> = { fn: 'a function name' };

const dashed = (flag: string) => (flag.length === 1 ? `-${flag}` : `--${flag}`);

/** The forms a flag may take in argv: `--port`, `--port=8000`, `-p`. */
function isFlagToken(token: string, flag: string): boolean {
  const name = dashed(flag);
  return token === name || token.startsWith(`${name}=`);
}

/** Options only: what follows `--` is a function's arguments. */
function optionsPart(argv: readonly string[]): readonly string[] {
  const end = argv.indexOf('--');
  return end < 0 ? argv : argv.slice(0, end);
}

/** Whether argv asks for JSON output, so that even a usage error is printed as JSON. */
export function wantsJson(argv: readonly string[]): boolean {
  return optionsPart(argv).some((arg) => arg === '--json' || arg === '--json=true');
}

function unknownArgument(word: string, argv: readonly string[], state: ParserState): UsageError {
  const args = optionsPart(argv);
  if (args.some((token) => isFlagToken(token, word))) {
    // Only the names a person types: yargs also keeps camelCase copies (maxBodySize) of kebab-case flags.
    const flags = state.flags.filter((flag) => flag.length > 1 && !/[A-Z]/.test(flag));
    const near = didYouMean(word, flags);
    return new UsageError(`${state.command} has no flag ${dashed(word)}`, {
      value: dashed(word),
      hint: near === undefined ? `\`${state.command} --help\` lists its flags` : `did you mean --${near}?`,
    });
  }
  if (state.usage === undefined) {
    const near = didYouMean(word, state.commands);
    return new UsageError(`unknown command "${word}"`, {
      value: word,
      hint: near === undefined ? '`nano --help` lists the commands' : `did you mean \`nano ${near}\`?`,
    });
  }
  return new UsageError(`${state.command} takes no argument "${word}": ${state.usage}`, { value: word });
}

/** A `UsageError` in nano's words for a message yargs' parser gave; other messages pass as they are. */
export function usageError(message: string, argv: readonly string[], state: ParserState): UsageError {
  const unknown = /^Unknown arguments?: (.+)$/.exec(message);
  if (unknown?.[1] !== undefined) {
    const [first = ''] = unknown[1].split(', ');
    return unknownArgument(first, argv, state);
  }
  const tooFew = /^Not enough non-option arguments: got (\d+), need at least \d+$/.exec(message);
  if (tooFew?.[1] !== undefined && state.usage !== undefined) {
    const required = [...state.usage.matchAll(/<([^>]+)>/g)].map((match) => match[1] ?? '');
    const missing = required[Number(tooFew[1])] ?? required[0] ?? '';
    return new UsageError(`${state.command} needs ${POSITIONAL_NOUNS[missing] ?? `<${missing}>`}: ${state.usage}`);
  }
  const missingFlags = /^Missing required arguments?: (.+)$/.exec(message);
  if (missingFlags?.[1] !== undefined) {
    // yargs checks required flags before unknown ones: `--fro x` is reported as a missing --from, unless said here.
    const typo = optionsPart(argv)
      .map((token) => /^--?([^=]+)/.exec(token)?.[1])
      .find((name) => name !== undefined && !state.flags.includes(name) && !state.flags.some((flag) => name === `no-${flag}`));
    if (typo !== undefined) return unknownArgument(typo, argv, state);
    const flags = missingFlags[1].split(', ').map(dashed);
    const list = flags.length === 1 ? flags[0] : `${flags.slice(0, -1).join(', ')} and ${flags[flags.length - 1]}`;
    return new UsageError(`${state.command} needs ${list}`, { hint: `\`${state.command} --help\` says what each takes` });
  }
  return new UsageError(message);
}

/**
 * yargs reads `--port abc` as NaN and says nothing; this names the flag and what was typed. Runs as a
 * middleware, before any command's own checks (flags.ts), which then see only numbers.
 */
export function rejectNaN(parsed: Record<string, unknown>, argv: readonly string[]): void {
  const keys = Object.keys(parsed).filter((key) => typeof parsed[key] === 'number' && Number.isNaN(parsed[key]));
  // The long kebab-case name reports it: `p` and `maxBodySize` are yargs' copies of `port` and `max-body-size`.
  const flag = keys.find((key) => key.length > 1 && !/[A-Z]/.test(key)) ?? keys[0];
  if (flag === undefined) return;
  const args = optionsPart(argv);
  let typed = '';
  for (const [index, token] of args.entries()) {
    const key = keys.find((candidate) => isFlagToken(token, candidate));
    if (key === undefined) continue;
    const inline = token.slice(dashed(key).length);
    typed = inline.startsWith('=') ? inline.slice(1) : (args[index + 1] ?? '');
  }
  throw new UsageError(`${dashed(flag)} must be a number, got "${typed}"`, { value: typed });
}
