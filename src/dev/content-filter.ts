/**
 * Drops file events that changed nothing: an editor saving unchanged text, a
 * `touch`, a compiler rewriting an output byte for byte. Besides sparing a
 * reload, this is what ends the chain when a `build:` command writes a file
 * that its function's `watch:` globs cover (a `.d.ts`, a text format beside
 * the `.wasm`): the next run writes the same bytes, and that event stops here.
 *
 * A path seen for the first time always counts as changed. Reads are taken
 * one at a time, in event order, so the fingerprint kept is the latest one.
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
  private queue: Promise<unknown> = Promise.resolve();

  /** Whether `path` differs from what the last event for it found. */
  changed(path: string): Promise<boolean> {
    const answer = this.queue.then(async () => {
      const fingerprint = await fingerprintOf(path);
      const before = this.seen.get(path);
      this.seen.set(path, fingerprint);
      return before !== fingerprint;
    });
    this.queue = answer;
    return answer;
  }
}
