import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { buildProject } from '../../src/build/index.js';
import { resolveConfig } from '../../src/config/index.js';
import { projectYaml, readBuiltManifest } from '../helpers/build.js';
import { removeTempProjects, tempProject } from '../helpers/project.js';
import { ANSWER_WAT, SUM_WAT } from '../helpers/wat.js';

afterEach(removeTempProjects);

it('lets builds of one project run at once (nano deploy while nano dev reloads): each succeeds, none is left half-done', async () => {
  const dir = await tempProject({
    'nano.yml': projectYaml({ answer: 'answer.wat', sum: 'sum.wat' }),
    'answer.wat': ANSWER_WAT,
    'sum.wat': SUM_WAT,
  });
  const config = await resolveConfig('nano.yml', { cwd: dir, env: {} });
  const results = await Promise.allSettled(Array.from({ length: 8 }, () => buildProject(config, { cwd: dir })));
  expect(results.map((result) => result.status)).toEqual(Array(8).fill('fulfilled'));
  expect((await readBuiltManifest(dir)).functions.map((fn) => fn.name)).toEqual(['answer', 'sum']);
  // Only the build itself remains: no staging, retired or lock folders.
  expect(await readdir(join(dir, '.nano'))).toEqual(['build']);
});
