/**
 * How `nano server` ends once asked to (SIGTERM or Ctrl-C): a graceful drain
 * (server/drain.ts), and a stop at once on a second signal, for an operator
 * who will not wait. Prints one line as the drain starts, one as the node stops
 * accepting, one as it stops.
 */
import type { PlatformServer } from '../../server/index.js';
import type { CliIo } from '../io.js';
import type { Output } from '../output.js';

const requests = (count: number) => `${count} request${count === 1 ? '' : 's'}`;

/** Resolves true when every request in flight finished, false when some were cut off. */
export async function serveUntilDrained(
  server: PlatformServer,
  io: CliIo,
  out: Output,
  options: { delayMs: number; timeoutMs: number },
): Promise<boolean> {
  // Listening for the second signal first: with no listener, Node's default for SIGTERM kills the process.
  const again = io.interrupted().then(() => 'again' as const);
  out.line(`draining: not ready; refusing new connections in ${options.delayMs} ms (a second Ctrl-C or SIGTERM stops at once)`);
  const drained = server.drain({
    delayMs: options.delayMs,
    timeoutMs: options.timeoutMs,
    onStopAccepting: (inFlight) => out.line(`draining: ${requests(inFlight)} in flight…`),
  });
  const first = await Promise.race([drained, again]);
  if (first === 'again') {
    await server.close();
    out.error('stopped at once: requests in flight were cut off');
    return false;
  }
  if (first.cutOff > 0) {
    out.error(`stopped: ${requests(first.cutOff)} cut off after --drain-timeout ${options.timeoutMs} ms`);
    return false;
  }
  out.line('stopped');
  return true;
}
