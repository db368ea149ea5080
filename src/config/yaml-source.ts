/**
 * nano.yml parsed with its positions kept, so that every later problem can be
 * reported as `nano.yml:LINE:COL key.path: ...`.
 */
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, visit, type Document, type Node } from 'yaml';
import type { Problem } from '../errors.js';

export type KeyPath = readonly (string | number)[];

export interface YamlSource {
  /** The file name used in messages (as the user named it). */
  file: string;
  value: unknown;
  /** Where a key (`'key'`) or its value (`'value'`) starts; the nearest existing node when absent. */
  locate(path: KeyPath, part?: 'key' | 'value'): { line: number; column: number };
  problem(path: KeyPath, message: string, part?: 'key' | 'value'): Problem;
}

export function formatKeyPath(path: KeyPath): string {
  return path
    .map((segment) => (typeof segment === 'number' ? `[${segment}]` : segment))
    .join('.')
    .replaceAll('.[', '[');
}

function firstLine(message: string): string {
  // yaml's messages end with " at line L, column C:" plus an excerpt; we print our own location.
  return (message.split('\n')[0] ?? message).replace(/ at line \d+, column \d+:?$/, '');
}

/** Parses YAML text. Syntax errors come back as located problems, all of them. */
export function parseYamlSource(file: string, text: string): { source?: YamlSource; problems: Problem[] } {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false });
  const problems: Problem[] = doc.errors.map((error) => {
    const position = lineCounter.linePos(error.pos[0]);
    // yaml says only "Map keys must be unique"; name the key, as a user looks for it.
    const duplicate = error.code === 'DUPLICATE_KEY' ? keyStartingAt(doc, error.pos[0]) : undefined;
    const message =
      duplicate === undefined ? firstLine(error.message) : `duplicate key "${duplicate}"; a key may appear only once in a mapping`;
    return { file, line: position.line, column: position.col, message: `invalid YAML: ${message}` };
  });
  if (problems.length > 0) return { problems };

  const locate = (path: KeyPath, part: 'key' | 'value' = 'value') => {
    const offset = offsetOf(doc, path, part);
    const position = lineCounter.linePos(offset);
    return { line: position.line, column: position.col };
  };
  const source: YamlSource = {
    file,
    value: doc.toJS({ maxAliasCount: 100 }) as unknown,
    locate,
    problem: (path, message, part = 'value') => ({ file, ...locate(path, part), path: formatKeyPath(path), message }),
  };
  return { source, problems };
}

function keyStartingAt(doc: Document, offset: number): string | undefined {
  let found: string | undefined;
  visit(doc, {
    Pair(_, pair) {
      if (isScalar(pair.key) && pair.key.range?.[0] === offset) {
        found = String(pair.key.value);
        return visit.BREAK;
      }
      return undefined;
    },
  });
  return found;
}

function offsetOf(doc: Document, path: KeyPath, part: 'key' | 'value'): number {
  let node: Node | null = doc.contents;
  let offset = node?.range?.[0] ?? 0;
  for (const [index, segment] of path.entries()) {
    const last = index === path.length - 1;
    if (isMap(node)) {
      const pair = node.items.find((item) => isPair(item) && isScalar(item.key) && String(item.key.value) === String(segment));
      if (!pair) return offset;
      const key = pair.key as Node;
      if (last && part === 'key') return key.range?.[0] ?? offset;
      node = (pair.value as Node | null) ?? null;
      // A key with no value (`source:`) has no value node: point at the key.
      offset = node?.range?.[0] ?? key.range?.[0] ?? offset;
    } else if (isSeq(node) && typeof segment === 'number') {
      const item = node.items[segment] as Node | undefined;
      if (!item) return offset;
      node = item;
      offset = item.range?.[0] ?? offset;
    } else {
      return offset;
    }
  }
  return offset;
}
