/** `nano server --max-body-bytes-in-flight`: shown in --help with its default, checked as bad usage (exit 2). */
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { captureIo } from '../helpers/io.js';

describe('nano server --max-body-bytes-in-flight', () => {
  it('is listed in --help with its default', async () => {
    const io = captureIo({ cwd: '/' });
    expect(await main(['server', '--help'], io)).toBe(0);
    const help = io.out().replace(/\s+/g, ' ');
    expect(help).toMatch(
      /--max-body-bytes-in-flight .*503 beyond.*\[default: 268435456, or the larger of --max-body-size and --max-artifact-size\]/,
    );
  });

  it.each([
    [['--max-body-bytes-in-flight', 'x'], '--max-body-bytes-in-flight must be a number, got "x"'],
    [['--max-body-bytes-in-flight', '0'], '--max-body-bytes-in-flight must be a whole number of bytes from 1 to 1099511627776, got 0'],
    [['--max-body-bytes-in-flight', '1.5'], 'got 1.5'],
    [
      ['--max-body-bytes-in-flight', '1048576', '--max-body-size', '2097152'],
      '--max-body-bytes-in-flight (1048576 bytes) must be at least --max-body-size (2097152 bytes)',
    ],
    [
      ['--max-body-bytes-in-flight', '4194304'],
      '--max-body-bytes-in-flight (4194304 bytes) must be at least --max-body-size (8388608 bytes)',
    ],
    [
      ['--max-body-bytes-in-flight', '9000000', '--max-artifact-size', '10000000'],
      '--max-body-bytes-in-flight (9000000 bytes) must be at least --max-artifact-size (10000000 bytes)',
    ],
  ])('refuses %j as bad usage (exit 2) before starting anything', async (flags, message) => {
    const io = captureIo({ cwd: '/nonexistent' });
    expect(await main(['server', ...flags], io)).toBe(2);
    expect(io.err()).toContain(message);
    expect(io.out()).toBe('');
  });
});
