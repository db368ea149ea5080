/**
 * WAT → Wasm with wabt. Syntax and validation errors come back as located
 * problems (`functions/sum.wat:3:5: error: ...` with the source line and a caret).
 */
import wabtInit from 'wabt';
import type { Problem } from '../errors.js';

type Wabt = Awaited<ReturnType<typeof wabtInit>>;
let wabtPromise: Promise<Wabt> | undefined;

function wabt(): Promise<Wabt> {
  wabtPromise ??= wabtInit();
  return wabtPromise;
}

const LOCATED = /^(.*):(\d+):(\d+): (error: .*)$/;

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

export async function compileWat(file: string, text: string): Promise<{ bytes: Uint8Array } | { problems: Problem[] }> {
  const tools = await wabt();
  let module: ReturnType<Wabt['parseWat']> | undefined;
  try {
    module = tools.parseWat(file, text, {});
    module.resolveNames();
    module.validate();
    const { buffer } = module.toBinary({ log: false, write_debug_names: true });
    return { bytes: new Uint8Array(buffer) };
  } catch (error) {
    // wabt throws an Error whose message is "parseWat failed:\n<located errors>".
    const message = error instanceof Error ? error.message : String(error);
    return { problems: parseWabtErrors(file, message.replace(/^\w+ failed:\n/, '')) };
  } finally {
    module?.destroy();
  }
}
