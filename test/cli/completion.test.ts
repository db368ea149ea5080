/** `nano completion`: a bash/zsh script that asks nano itself for the words to complete. */
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { captureIo } from '../helpers/io.js';
import { REPO_ROOT } from '../helpers/project.js';

async function nano(args: string[]) {
  const io = captureIo({ cwd: REPO_ROOT });
  const code = await main(args, io);
  return { code, out: io.out(), err: io.err() };
}

describe('nano completion', () => {
  it('prints a script that calls nano back for the candidates', async () => {
    const script = await nano(['completion']);
    expect(script.code).toBe(0);
    expect(script.out).toContain('nano --get-yargs-completions');
    expect(script.out).toMatch(/complete .*-F _nano_yargs_completions nano/);
  });

  it('completes commands, and the flags of a command', async () => {
    const commands = await nano(['--get-yargs-completions', 'dep']);
    expect(commands.out.split('\n')).toEqual(expect.arrayContaining(['deploy', 'dev', 'registry']));
    const flags = await nano(['--get-yargs-completions', 'deploy', '--']);
    expect(flags.out.split('\n')).toEqual(expect.arrayContaining(['--url', '--function', '--config']));
  });
});
