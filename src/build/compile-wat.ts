/**
 * WAT → Wasm with wabt. Syntax and validation errors come back as located
 * problems (`functions/sum.wat:3:5: error: ...` with the source line and a caret).
 *
 * wabt is itself a Wasm instance, kept for the life of the process (instantiating
 * it costs 6–30 ms). Nesting deeper than it can take is refused before it sees the
 * text (wat-nesting.ts says why and where the limit comes from). Should it crash
 * anyway (a RuntimeError out of its memory, an abort), its memory may be damaged:
 * the instance is dropped and the next compile gets a fresh one, so one bad file
 * cannot fail every later build of a `nano dev` session.
 */
import wabtInit from 'wabt';
import type { Problem } from '../errors.js';
import { MAX_WAT_NESTING, watNesting } from './wat-nesting.js';

type Wabt = Awaited<ReturnType<typeof wabtInit>>;
// The Emscripten factory takes module overrides, which wabt's types leave out: `printErr` keeps its
// "Aborted()" off our stderr (the thrown error says it too, and library code does not print).
const instantiate = wabtInit as unknown as (overrides: { printErr: (text: string) => void }) => Promise<Wabt>;
let wabtPromise: Promise<Wabt> | undefined;

function wabt(): Promise<Wabt> {
  if (wabtPromise === undefined) {
    const loading = instantiate({ printErr: () => undefined });
    // A failed load is not kept either: the next compile tries again.
    loading.catch(() => dropInstance(loading));
    wabtPromise = loading;
  }
  return wabtPromise;
}

function dropInstance(instance: Promise<Wabt>): void {
  if (wabtPromise === instance) wabtPromise = undefined;
}

const LOCATED = /^(.*):(\d+):(\d+): (error: .*)$/;
/** wabt's own failures: an Error whose message is "parseWat failed:\n<located errors>". */
const WABT_FAILED = /^\w+ failed:\n/;

/** Splits wabt's text output into one problem per located error, excerpt kept. */
export function parseWabtErrors(file: string, text: string): Problem[] {
  const problems: Problem[] = [];
  for (const line of text.split('\n')) {
    const match = LOCATED.exec(line);
    if (match) {
      problems.push({ file, line: Number(match[2]), column: Number(match[3]), message: match[4] ?? line });
    } else if (problems.length > 0 && line.trim() !== '') {
      const last = problems[problems.length - 1]!;
      last.detail = last.detail === undefined ? line : `${last.detail}\n${line}`;
    }
  }
  return problems.length > 0 ? problems : [{ file, message: text.trim() || 'wabt failed without a message' }];
}

export interface CompileWatOptions {
  /** The deepest nesting handed to wabt; tests lift it to make wabt crash. */
  maxNesting?: number;
}

export async function compileWat(
  file: string,
  text: string,
  { maxNesting = MAX_WAT_NESTING }: CompileWatOptions = {},
): Promise<{ bytes: Uint8Array } | { problems: Problem[] }> {
  const nesting = watNesting(text, maxNesting);
  if (nesting.beyond !== undefined) {
    const message =
      `error: nested too deeply: ${nesting.depth} levels of parentheses and blocks at the deepest, ` +
      `and nano compiles at most ${maxNesting} (its WAT compiler crashes at about 150); ` +
      'move the inner part into a function of its own, or write long chains of folded expressions as flat instructions';
    return { problems: [{ file, ...nesting.beyond, message }] };
  }
  // Several builds may compile at once: one that awaited an instance another has since dropped takes the new one.
  let instance: Promise<Wabt>;
  let tools: Wabt;
  do {
    instance = wabt();
    tools = await instance;
  } while (instance !== wabtPromise);

  let module: ReturnType<Wabt['parseWat']> | undefined;
  try {
    module = tools.parseWat(file, text, {});
    module.resolveNames();
    module.validate();
    const { buffer } = module.toBinary({ log: false, write_debug_names: true });
    return { bytes: new Uint8Array(buffer) };
  } catch (error) {
    // Dropped after any failure, not only a crash: an overflow can also surface as a bogus located error
    // ("unexpected char") with the memory already damaged. A fresh instance costs about 6 ms, once per failed build.
    dropInstance(instance);
    module = undefined; // destroying it would run in memory that may be damaged; the instance goes anyway
    const message = error instanceof Error ? error.message : String(error);
    if (error instanceof Error && WABT_FAILED.test(message)) return { problems: parseWabtErrors(file, message.replace(WABT_FAILED, '')) };
    // A crash of wabt's instance (RuntimeError "memory access out of bounds", an abort, RangeError): point at the
    // deepest nesting, its likeliest cause.
    return { problems: [crashProblem(file, text, message)] };
  } finally {
    module?.destroy();
  }
}

function crashProblem(file: string, text: string, reason: string): Problem {
  const { depth } = watNesting(text);
  const deepest = watNesting(text, depth - 1).beyond;
  return {
    file,
    ...deepest,
    message:
      `error: the WAT compiler (wabt) crashed on this file (${reason.split('\n')[0]}); the likeliest cause is nesting ` +
      `too deep for it: this file nests ${depth} levels at the deepest, here`,
  };
}
