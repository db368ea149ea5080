/**
 * nano.yml parsed with its positions kept, so that every later problem can be
 * reported as `nano.yml:LINE:COL key.path: ...`. What would crash or blow up a
 * later stage (see yaml-hazards.ts) is refused here, located, before the
 * document becomes values.
 */
import {
  Composer,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  Parser,
  type Document,
  type Node,
  type Pair,
  type YAMLError,
  type YAMLMap,
} from 'yaml';
import type { Problem } from '../errors.js';
import { MAX_ALIASES, MAX_DEPTH } from './limits.js';
import { findHazards } from './yaml-hazards.js';
import { tooDeepAt } from './yaml-nesting.js';

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

/** Parses YAML text. Syntax errors and hazards come back as located problems, all of them. */
/**
 * `env: { KEY: ${env:KEY} }`: in a flow collection (`{ }`, `[ ]`) YAML reads `{` as the start of another
 * mapping, and the parser reports a cascade of errors that do not say why. When parsing failed and a
 * line holds an unquoted substitution inside a flow collection, that is the one problem to report.
 */
function unquotedFlowSubstitution(text: string, at: (offset: number, message: string) => Problem): Problem[] | undefined {
  const match = /[{[,]\s*(?:[^\s:'"{}[\],][^:'"{}[\],\n]*:\s*)?(\$\{[^}\n]*\})/.exec(text);
  if (!match) return undefined;
  const substitution = match[1]!;
  const offset = match.index + match[0].length - substitution.length;
  return [
    at(
      offset,
      `${substitution} inside { } or [ ] must be quoted: write "${substitution}" (YAML reads an unquoted { there as another mapping)`,
    ),
  ];
}

export function parseYamlSource(file: string, text: string): { source?: YamlSource; problems: Problem[] } {
  const lineCounter = new LineCounter();
  const at = (offset: number, message: string): Problem => {
    const position = lineCounter.linePos(offset);
    return { file, line: position.line, column: position.col, message: `invalid YAML: ${message}` };
  };
  // parseDocument() in two steps, so that the depth is checked between them (see yaml-nesting.ts).
  const tokens = [...new Parser(lineCounter.addNewLine).parse(text)];
  const deep = tooDeepAt(tokens, MAX_DEPTH);
  if (deep !== undefined) {
    return { problems: [at(deep, `nested more than ${MAX_DEPTH} levels deep; nano.yml allows at most ${MAX_DEPTH}`)] };
  }
  const documents = new Composer({
    // Duplicate keys are found by findHazards: yaml's own check is quadratic in the keys of a mapping.
    uniqueKeys: false,
    // A list, a mapping or an alias as a key would be stringified ("[ 1 ]"), with a warning on stderr.
    stringKeys: true,
    // Without this, `!!binary`, `!!set` and `!!timestamp` make byte arrays, Sets and Dates no schema expects.
    resolveKnownTags: false,
  }).compose(tokens, true, text.length);
  // forceDoc: there is always a first document, if only an empty one.
  const doc = documents.next().value as Document.Parsed;
  const second = documents.next().value;
  const problems = [
    // Warnings too: an unknown tag (`!foo`, `!!js/function`) would silently read as a plain string.
    ...[...doc.errors, ...doc.warnings].map((error) => at(error.pos[0], yamlMessage(error))),
    ...(second ? [at(second.range[0], 'a second document (after "---"); nano.yml holds one document')] : []),
    ...findHazards(doc).map((hazard) => at(hazard.offset, hazard.message)),
  ];
  if (problems.length > 0) return { problems: doc.errors.length > 0 ? (unquotedFlowSubstitution(text, at) ?? problems) : problems };

  let value: unknown;
  try {
    // findHazards has refused what yaml's alias limit guards against. yaml counts differently (the anchor
    // itself is a use: 100 aliases of one anchor are 101), so its limit, looser, is only a second line of defence.
    value = doc.toJS({ maxAliasCount: 2 * MAX_ALIASES }) as unknown;
  } catch (error) {
    if (!(error instanceof ReferenceError)) throw error;
    return { problems: [at(0, error.message)] };
  }

  const locate = (path: KeyPath, part: 'key' | 'value' = 'value') => {
    const offset = offsetOf(doc, path, part);
    const position = lineCounter.linePos(offset);
    return { line: position.line, column: position.col };
  };
  const source: YamlSource = {
    file,
    value,
    locate,
    problem: (path, message, part = 'value') => ({ file, ...locate(path, part), path: formatKeyPath(path), message }),
  };
  return { source, problems };
}

/** yaml's message in nano's words where yaml's speak of its own API. */
function yamlMessage(error: YAMLError): string {
  switch (error.code) {
    case 'NON_STRING_KEY':
      return 'a key must be a string, not a list, a mapping or an alias';
    case 'TAG_RESOLVE_FAILED':
      return `${firstLine(error.message)}; nano.yml takes strings, numbers, true/false, null, lists and mappings`;
    default:
      return firstLine(error.message);
  }
}

// Each mapping's pairs by key, made on first use: a lookup per problem stays O(1) (a scan per problem made
// 50,000 unknown keys quadratic: 52 s).
const pairIndexes = new WeakMap<YAMLMap, Map<string, Pair>>();

function pairsByKey(map: YAMLMap): Map<string, Pair> {
  let index = pairIndexes.get(map);
  if (!index) {
    index = new Map();
    for (const item of map.items) {
      if (isScalar(item.key) && !index.has(String(item.key.value))) index.set(String(item.key.value), item);
    }
    pairIndexes.set(map, index);
  }
  return index;
}

function offsetOf(doc: Document, path: KeyPath, part: 'key' | 'value'): number {
  let node: Node | null = doc.contents;
  let offset = node?.range?.[0] ?? 0;
  for (const [index, segment] of path.entries()) {
    const last = index === path.length - 1;
    if (isMap(node)) {
      const pair = pairsByKey(node).get(String(segment));
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
