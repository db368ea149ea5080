/**
 * How deeply a WAT text nests, found in one pass without parsing it, so that
 * nesting wabt cannot take is refused with a located problem before wabt sees it.
 *
 * Why: wabt's parser, validator and writer recurse once per level on a fixed
 * Emscripten stack, and past it they do not fail cleanly. Measured with wabt
 * 1.0.39 (one fresh instance per case): folded `(block ...)` builds up to 149
 * levels inside `(module (func ...))` and crashes at 150 ("memory access out of
 * bounds"; `(loop` aborts); flat `block ... end` crashes at 176, and between
 * about 200 and 50 000 levels it never returns; 244 folded `(i32.add ...)` come
 * back as a bogus "unexpected char" after overwriting wabt's memory. Every later
 * parse on that instance then fails.
 *
 * A level is an open parenthesis or an open flat `block`/`loop`/`if`/`try`
 * (closed by `end`); `(module` and `(func` count. The cheapest construct per level
 * (folded `block`) crashes at about 150, so MAX_WAT_NESTING leaves a margin below it;
 * test/build/wat-nesting.test.ts builds the worst construct at exactly the limit.
 */

/** The deepest nesting nano hands to wabt. */
export const MAX_WAT_NESTING = 128;

export interface Nesting {
  /** The deepest level reached. */
  depth: number;
  /** Where the first level past `limit` opens (1-based), if the text goes past it. */
  beyond?: { line: number; column: number };
}

const FLAT_OPENERS = new Set(['block', 'loop', 'if', 'try', 'try_table']);
const OPEN = 0x28; // (
const CLOSE = 0x29; // )
const QUOTE = 0x22; // "
const SEMI = 0x3b; // ;
const BACKSLASH = 0x5c;
const NEWLINE = 0x0a;

function isSpace(code: number): boolean {
  return code === 0x20 || code === 0x09 || code === NEWLINE || code === 0x0d;
}

/** Scans `text` (strings and comments skipped) for its deepest nesting and where it first exceeds `limit`. */
export function watNesting(text: string, limit = MAX_WAT_NESTING): Nesting {
  let parens = 0;
  let flat = 0;
  // The flat depth when each open parenthesis opened: a `)` drops any flat block left open inside it.
  const flatAtOpen: number[] = [];
  let afterOpen = false;
  let depth = 0;
  let beyond: Nesting['beyond'];
  let line = 1;
  let lineStart = 0;
  const reach = (at: number) => {
    const level = parens + flat;
    if (level > depth) depth = level;
    if (level > limit && beyond === undefined) beyond = { line, column: at - lineStart + 1 };
  };

  const n = text.length;
  let i = 0;
  while (i < n) {
    const code = text.charCodeAt(i);
    if (code === NEWLINE) {
      line++;
      lineStart = i + 1;
      i++;
    } else if (isSpace(code)) {
      i++;
    } else if (code === SEMI && text.charCodeAt(i + 1) === SEMI) {
      while (i < n && text.charCodeAt(i) !== NEWLINE) i++;
    } else if (code === OPEN && text.charCodeAt(i + 1) === SEMI) {
      // Block comments nest: (; (; ;) ;)
      let open = 0;
      do {
        const c = text.charCodeAt(i);
        if (c === OPEN && text.charCodeAt(i + 1) === SEMI) {
          open++;
          i += 2;
        } else if (c === SEMI && text.charCodeAt(i + 1) === CLOSE) {
          open--;
          i += 2;
        } else {
          if (c === NEWLINE) {
            line++;
            lineStart = i + 1;
          }
          i++;
        }
      } while (open > 0 && i < n);
    } else if (code === OPEN) {
      flatAtOpen.push(flat);
      parens++;
      reach(i);
      afterOpen = true;
      i++;
    } else if (code === CLOSE) {
      if (parens > 0) {
        parens--;
        flat = flatAtOpen.pop() ?? 0;
      }
      afterOpen = false;
      i++;
    } else if (code === QUOTE) {
      i++;
      while (i < n) {
        const c = text.charCodeAt(i);
        if (c === BACKSLASH) i += 2;
        else if (c === QUOTE || c === NEWLINE) break;
        else i++;
      }
      i++;
      afterOpen = false;
    } else {
      const start = i;
      while (i < n) {
        const c = text.charCodeAt(i);
        if (isSpace(c) || c === OPEN || c === CLOSE || c === QUOTE || c === SEMI) break;
        i++;
      }
      if (i === start) i++; // a lone `;`
      // Only `if` to `try_table` (2 to 9 characters) can matter: no string is made for the other words.
      const word = i - start >= 2 && i - start <= 9 ? text.slice(start, i) : '';
      if (!afterOpen && FLAT_OPENERS.has(word)) {
        flat++;
        reach(start);
      } else if (word === 'end' && flat > (flatAtOpen[flatAtOpen.length - 1] ?? 0)) {
        flat--;
      }
      afterOpen = false;
    }
  }
  return beyond === undefined ? { depth } : { depth, beyond };
}
