/**
 * `nano dev` in-process, when a save turns nano.yml hostile (an alias with no
 * anchor, which once escaped as a ReferenceError with a stack trace): it
 * prints the located problem and keeps serving the last good configuration.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { captureIo } from '../helpers/io.js';
import { removeTempProjects, yml } from '../helpers/project.js';
import { devProject, PROJECT_YML, until } from './dev-process.js';

afterEach(removeTempProjects);

describe('nano dev and a hostile nano.yml', () => {
  it('prints an undefined alias as a located problem and still answers', async () => {
    const dir = await devProject();
    let interrupt = () => {};
    const io = { ...captureIo({ cwd: dir }), interrupted: () => new Promise<void>((resolve) => (interrupt = resolve)) };
    const exit = main(['dev', '--port', '0', '--workers', '1', '--debounce', '20'], io);
    let code: number | undefined;
    try {
      const listening = /listening on (\S+) —/;
      const [, url] = (
        await until(
          async () => io.out(),
          (out) => listening.test(out),
          'the listening line',
        )
      ).match(listening)!;

      // PROJECT_YML has 10 lines: the alias is on line 11, after "    description: ".
      await writeFile(join(dir, 'nano.yml'), PROJECT_YML + yml('    description: *nope'));
      const stderr = await until(
        async () => io.err(),
        (err) => err.includes('still serving the last good configuration') || err.includes('reload failed'),
        'the reload to report nano.yml',
      );
      expect(stderr).toContain('✗ nano.yml: nano.yml:11:18: invalid YAML: unknown alias "*nope": no anchor "&nope" is defined before it');
      expect(stderr).not.toContain('reload failed');
      expect(stderr).not.toMatch(/^\s+at /m);
      const answer = await fetch(`${url}/exec/answer`);
      expect(answer.status).toBe(200);
      expect(await answer.text()).toBe('42');
    } finally {
      // Stopped even when an assertion failed: no server or worker outlives the test.
      interrupt();
      code = await exit;
    }
    expect(code).toBe(0);
  });
});
