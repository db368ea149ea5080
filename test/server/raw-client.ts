/**
 * A raw TCP client for the socket-level tests: what a broken or hostile HTTP
 * client sends, byte for byte, and what came back until the server closed.
 */
import { connect, type Socket } from 'node:net';

export interface RawClient {
  socket: Socket;
  /** Everything the server sent so far. */
  received(): string;
  /** Resolves once the socket is closed (by either side), with everything received. */
  closed: Promise<string>;
  write(text: string): Promise<void>;
}

const open = new Set<Socket>();

export async function rawConnect(port: number): Promise<RawClient> {
  const socket = connect(port, '127.0.0.1');
  open.add(socket);
  let received = '';
  socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
  // A reset from the server (a refused connection, a close with unread bytes) is a close like any other here.
  socket.on('error', () => {});
  const closed = new Promise<string>((resolve) => {
    socket.on('close', () => {
      open.delete(socket);
      resolve(received);
    });
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  return {
    socket,
    received: () => received,
    closed,
    write: (text) => new Promise<void>((resolve) => socket.write(text, () => resolve())),
  };
}

/** Destroys every socket a test left open (call from afterEach). */
export function destroyRawClients(): void {
  for (const socket of open) socket.destroy();
  open.clear();
}

/** The status line and the JSON error body of a raw HTTP response. */
export function parseRaw(response: string): { status: number; code?: string; closes: boolean } {
  const [head = '', body = ''] = response.split('\r\n\r\n');
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? NaN);
  let code: string | undefined;
  try {
    code = (JSON.parse(body) as { error?: { code?: string } }).error?.code;
  } catch {
    code = undefined;
  }
  return { status, code, closes: /\r\nconnection: close/i.test(head) };
}

/** Polls `check` until it holds (no fixed sleeps); the caller's vitest timeout bounds it. */
export async function until(check: () => boolean, everyMs = 10): Promise<void> {
  while (!check()) await new Promise((resolve) => setTimeout(resolve, everyMs));
}
