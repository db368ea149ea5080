/** `env: { KEY: ${env:KEY} }` unquoted: one problem that says to quote it, not YAML's cascade. */
import { afterEach, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/config/index.js';
import { ProblemsError } from '../../src/errors.js';
import { removeTempProjects, tempProject, yml } from '../helpers/project.js';
import { ANSWER_WAT } from '../helpers/wat.js';

afterEach(removeTempProjects);

const project = (env: string) =>
  tempProject({
    'nano.yml': yml('service: demo', 'functions:', '  f:', '    source: f.wat', '    abi: wagi', `    env: ${env}`),
    'f.wat': ANSWER_WAT,
  });

describe('a substitution in a flow mapping', () => {
  it('unquoted, is one located problem that says to quote it', async () => {
    const dir = await project('{ API_KEY: ${env:API_KEY}, MODE: fast }');
    const error = await resolveConfig('nano.yml', { cwd: dir, env: { API_KEY: 'x' } }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ProblemsError);
    expect((error as ProblemsError).problems).toEqual([
      expect.objectContaining({
        line: 6,
        column: 21,
        message: expect.stringContaining('${env:API_KEY} inside { } or [ ] must be quoted: write "${env:API_KEY}"'),
      }),
    ]);
  });

  it('quoted, resolves', async () => {
    const dir = await project('{ API_KEY: "${env:API_KEY}", MODE: fast }');
    const config = await resolveConfig('nano.yml', { cwd: dir, env: { API_KEY: 'x' } });
    expect(config.functions[0]?.env).toEqual({ API_KEY: 'x', MODE: 'fast' });
  });
});
