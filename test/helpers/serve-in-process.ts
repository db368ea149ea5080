/**
 * `nano dev` or `nano server` run by the real CLI frame in-process (`main(argv, io)`) on port 0: the URL
 * it printed, its captured output, and a `stop()` that stands for Ctrl-C and resolves with the exit code.
 * Lighter than a child process (no dist/ build, no spawn) where a test needs the real command, not a
 * separate process.
 */
import { main } from '../../src/cli/main.js';
import { captureIo, type CapturedIo } from './io.js';

export interface ServingCli {
  url: string;
  io: CapturedIo;
  stop(): Promise<number>;
}

const listening = /listening on (http:\/\/\S+)/;

export async function serveInProcess(argv: readonly string[], cwd: string, timeoutMs = 20_000): Promise<ServingCli> {
  let interrupt = () => {};
  const interrupted = new Promise<void>((resolve) => (interrupt = resolve));
  const io: CapturedIo = { ...captureIo({ cwd }), interrupted: () => interrupted };
  let exited: number | undefined;
  const done = main([...argv], io).then((code) => (exited = code));
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const url = listening.exec(io.out())?.[1];
    if (url !== undefined) {
      return {
        url,
        io,
        stop: async () => {
          interrupt();
          return done;
        },
      };
    }
    if (exited !== undefined || Date.now() > deadline) {
      throw new Error(`nano ${argv.join(' ')} did not start (exit ${String(exited)}):\n${io.out()}\n${io.err()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
