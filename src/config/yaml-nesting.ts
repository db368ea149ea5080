/**
 * How deep a YAML text nests, measured on yaml's concrete syntax tree before it
 * is composed into nodes. yaml's parser keeps an explicit stack, but its
 * composer recurses once per level: `x: [[[[…` 100,000 deep made it catch its
 * own stack overflow once per level unwound (2 s), and a regular expression
 * compiled that near the stack's end aborted the whole process ("RegExpCompiler
 * Allocation failed", uncatchable: `nano dev` would die). Refusing the depth
 * here keeps the composer, and every stage after it, far from the stack's end.
 */
import type { CST } from 'yaml';

/** The offset of the first list or mapping nested more than `max` levels deep, if any. */
export function tooDeepAt(tokens: readonly CST.Token[], max: number): number | undefined {
  // Iterative on purpose: the point is to survive a depth that recursion would not. Children are
  // pushed last first, so that they pop in document order and the place named is the first one.
  const pending: { token: CST.Token; depth: number }[] = tokens.map((token) => ({ token, depth: 0 })).reverse();
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const { token, depth } = next;
    switch (token.type) {
      case 'document':
        if (token.value) pending.push({ token: token.value, depth });
        break;
      case 'block-map':
      case 'block-seq':
      case 'flow-collection': {
        if (depth + 1 > max) return token.offset;
        for (const item of [...token.items].reverse()) {
          if (item.value) pending.push({ token: item.value, depth: depth + 1 });
          if ('key' in item && item.key) pending.push({ token: item.key, depth: depth + 1 });
        }
        break;
      }
      default:
        // Scalars, aliases, comments, errors: nothing nested.
        break;
    }
  }
  return undefined;
}
