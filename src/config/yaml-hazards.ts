/**
 * What yaml's parser accepts but nano refuses before the document becomes
 * values, found in one linear walk over the parsed nodes (iterative, so that
 * the walk itself cannot overflow the stack however deep the document):
 *
 * - an alias whose anchor is not defined before it, or that sits inside the
 *   anchor it repeats (a value containing itself: every later stage would
 *   recurse forever);
 * - more than MAX_ALIASES aliases resolved, counting those inside an anchor once
 *   per repetition: a chain (`c2: &c2 [*c1, *c1]` …) or a "billion laughs" grows
 *   exponentially. yaml's `toJS` has such a count too, but throws mid-way with
 *   no position; this one names the alias where the count passes the limit;
 * - an alias that nests its value deeper than MAX_DEPTH (the text's own depth
 *   was checked before: yaml-nesting.ts);
 * - a key twice in one mapping. yaml's own `uniqueKeys` check compares each key
 *   with every earlier one (50,000 keys took most of a minute); a Set per
 *   mapping is linear;
 * - a merge key `<<`, which YAML 1.2 does not have: it would read as a key "<<".
 */
import { isAlias, isMap, isNode, isScalar, isSeq, type Alias, type Document, type Node } from 'yaml';
import { MAX_ALIASES, MAX_DEPTH } from './limits.js';

/** A problem at a character offset of the YAML text. */
export interface Hazard {
  offset: number;
  message: string;
}

/** What a node stands for once its aliases are expanded. */
interface Expansion {
  /** Aliases resolved inside it. */
  aliases: number;
  /** Levels of lists and mappings: 0 for a scalar. */
  height: number;
}

interface Frame {
  node: Node;
  children: readonly (Node | null)[];
  next: number;
  expansion: Expansion;
}

const LEAF: Expansion = { aliases: 0, height: 0 };

export function findHazards(doc: Document): Hazard[] {
  const hazards: Hazard[] = [];
  const at = (node: Node, message: string) => hazards.push({ offset: node.range?.[0] ?? 0, message });
  // As yaml resolves them: an alias means the last node before it with that anchor.
  const anchors = new Map<string, Node>();
  const expanded = new Map<Node, Expansion>();
  const open = new Set<Node>();
  const stack: Frame[] = [];
  let aliases = 0;
  // Each limit is reported once, where it is first passed: every alias after it would pass it too.
  let tooMany = false;
  let tooDeep = false;

  /** Folds a finished child into its parent (the frame on top of the stack). */
  const settle = (child: Expansion) => {
    const parent = stack.at(-1);
    if (!parent) return;
    parent.expansion.aliases += child.aliases;
    parent.expansion.height = Math.max(parent.expansion.height, child.height + 1);
  };

  const enter = (node: Node | null) => {
    if (node === null) return;
    if (node.anchor) anchors.set(node.anchor, node);
    if (isAlias(node)) {
      settle(resolveAlias(node));
      return;
    }
    if (!isMap(node) && !isSeq(node)) {
      if (node.anchor) expanded.set(node, LEAF);
      settle(LEAF);
      return;
    }
    const children = isMap(node) ? keysAndValues(node.items, at) : (node.items as (Node | null)[]);
    open.add(node);
    stack.push({ node, children, next: 0, expansion: { aliases: 0, height: 1 } });
  };

  const resolveAlias = (alias: Alias): Expansion => {
    const target = anchors.get(alias.source);
    if (target === undefined) {
      at(alias, `unknown alias "*${alias.source}": no anchor "&${alias.source}" is defined before it`);
      return LEAF;
    }
    if (open.has(target)) {
      at(alias, `alias "*${alias.source}" is inside the value it repeats (anchor "&${alias.source}"); a value cannot contain itself`);
      return LEAF;
    }
    const inside = expanded.get(target) ?? LEAF;
    const expansion = { aliases: 1 + inside.aliases, height: inside.height };
    aliases += expansion.aliases;
    if (aliases > MAX_ALIASES && !tooMany) {
      tooMany = true;
      at(alias, `too many aliases: more than ${MAX_ALIASES} resolved, counting those inside repeated anchors; write the values out`);
    }
    if (stack.length + expansion.height > MAX_DEPTH && !tooDeep) {
      tooDeep = true;
      at(alias, `alias "*${alias.source}" nests its value more than ${MAX_DEPTH} levels deep; nano.yml allows at most ${MAX_DEPTH}`);
    }
    return expansion;
  };

  enter(doc.contents as Node | null);
  while (stack.length > 0) {
    const frame = stack.at(-1)!;
    if (frame.next < frame.children.length) {
      enter(frame.children[frame.next++] ?? null);
      continue;
    }
    stack.pop();
    open.delete(frame.node);
    if (frame.node.anchor) expanded.set(frame.node, frame.expansion);
    settle(frame.expansion);
  }
  return hazards;
}

/** A mapping's keys and values in document order, reporting duplicate and merge keys on the way. */
function keysAndValues(pairs: readonly { key: unknown; value: unknown }[], at: (node: Node, message: string) => void): (Node | null)[] {
  const seen = new Set<string>();
  const children: (Node | null)[] = [];
  for (const { key, value } of pairs) {
    if (isScalar(key)) {
      const name = String(key.value);
      if (seen.has(name)) at(key, `duplicate key "${name}"; a key may appear only once in a mapping`);
      seen.add(name);
      if (name === '<<' && key.type === 'PLAIN') {
        at(key, 'merge keys (<<) are not supported; write the keys out, or put shared limits under defaults:');
      }
    }
    children.push(isNode(key) ? key : null, isNode(value) ? value : null);
  }
  return children;
}
