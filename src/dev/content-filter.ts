/**
 * Drops the paths of a batch of file events whose bytes did not change since
 * the last batch that named them: an editor saving unchanged text, a `touch`,
 * the watcher's second look (project-watcher.ts), a compiler rewriting an
 * output byte for byte. Besides sparing a reload, this is what ends the chain
 * when a `build:` command writes a file that its function's `watch:` globs
 * cover (a `.d.ts`, a text format beside the `.wasm`): the next run writes the
 * same bytes, and that path stops here.
 *
 * Files are read when a batch is due (after the debounce, and after the reload
 * that ran the command), not when their events arrive: an event comes in the
 * middle of a write, a batch after it. A path seen for the first time always
 * counts as changed.
 */
import { readFile } from 'node:fs/promises';
import { sha256 } from '../build/hash.js';

async function fingerprintOf(path: string): Promise<string> {
  try {
    return sha256(await readFile(path));
  } catch (error) {
    // Gone, a folder, unreadable: a state of its own, which the next content differs from.
    return `(${(error as NodeJS.ErrnoException).code ?? 'unreadable'})`;
  }
}

export class ContentFilter {
  private readonly seen = new Map<string, string>();

  /** The paths whose content differs from what the last call found for them. */
  async changed(paths: readonly string[]): Promise<string[]> {
    const changed: string[] = [];
    for (const path of paths) {
      const fingerprint = await fingerprintOf(path);
      if (this.seen.get(path) !== fingerprint) changed.push(path);
      this.seen.set(path, fingerprint);
    }
    return changed;
  }
}
