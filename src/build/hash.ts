/** The one content hash of nano: artifacts are named, compared and verified by it. */
import { createHash } from 'node:crypto';

export function sha256(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}
