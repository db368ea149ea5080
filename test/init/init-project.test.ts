/** `nano init`: a working project from a template, or nothing at all. */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { buildProject } from '../../src/build/index.js';
import { nanoSchemaPath, resolveConfig } from '../../src/config/index.js';
import { NanoError } from '../../src/errors.js';
import { initProject, listTemplates } from '../../src/init/index.js';
import { removeTempProjects, snapshotTree, tempProject } from '../helpers/project.js';

afterEach(removeTempProjects);

async function refusal(run: () => Promise<unknown>): Promise<NanoError> {
  const error = await run().then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(NanoError);
  return error as NanoError;
}

/** A created project is a working one: it resolves and builds. */
async function expectWorkingProject(dir: string, service: string): Promise<void> {
  expect((await snapshotTree(dir)).size).toBe(4);
  expect((await readFile(join(dir, '.gitignore'), 'utf8')).split('\n')).toEqual(
    expect.arrayContaining(['.nano/*', '!.nano/nano.schema.json']),
  );

  const yaml = await readFile(join(dir, 'nano.yml'), 'utf8');
  const modeline = /^# yaml-language-server: \$schema=(\S+)\n/.exec(yaml);
  expect(modeline).not.toBeNull();
  // An editor resolves the schema path against the nano.yml's folder.
  const schema = resolve(dir, modeline?.[1] ?? '');
  expect(existsSync(schema)).toBe(true);
  expect((JSON.parse(await readFile(schema, 'utf8')) as { title: string }).title).toBe('nano.yml');

  const config = await resolveConfig(join(dir, 'nano.yml'), { env: {} });
  expect(config.service).toBe(service);
  const result = await buildProject(config, { cwd: dir });
  expect(result.reports.length).toBeGreaterThan(0);
  expect(result.reports.every((report) => report.status === 'built')).toBe(true);
}

describe('initProject', () => {
  it('creates a folder that does not exist yet', async () => {
    const parent = await tempProject();
    const dir = join(parent, 'hello');
    const created = await initProject(dir, 'wat');
    expect(created).toEqual({
      service: 'hello',
      files: ['.gitignore', '.nano/nano.schema.json', 'functions/add.wat', 'nano.yml'],
      nextSteps: ['nano build', 'nano dev'],
    });
    await expectWorkingProject(dir, 'hello');
    // The staging folder was renamed into place: nothing else is left in the parent.
    expect(await readdir(parent)).toEqual(['hello']);
  });

  it('fills an empty folder', async () => {
    const parent = await tempProject();
    const dir = join(parent, 'empty');
    await mkdir(dir);
    const created = await initProject(dir, 'wat');
    expect(created.files).toEqual(['.gitignore', '.nano/nano.schema.json', 'functions/add.wat', 'nano.yml']);
    await expectWorkingProject(dir, 'empty');
    expect(await readdir(parent)).toEqual(['empty']);
  });

  it('makes a valid service name from any folder name', async () => {
    const parent = await tempProject();
    const dir = join(parent, '2 My Service!');
    const created = await initProject(dir, 'wat');
    expect(created.service).toBe('my-service');
    await expectWorkingProject(dir, 'my-service');
  });

  it('refuses a folder that is not empty, and writes nothing', async () => {
    const dir = await tempProject({ 'notes.txt': 'mine', 'nano.yml': 'service: keep-me\n' });
    const before = await snapshotTree(dir);
    const error = await refusal(() => initProject(dir, 'wat'));
    expect(error.code).toBe('InitRefused');
    expect(error.message).toBe(`${dir} is not empty (it has nano.yml, notes.txt); nano init never overwrites files`);
    expect(error.hint).toBe('run it in an empty folder, or name a new one: `nano init my-service`');
    expect(await snapshotTree(dir)).toEqual(before);
    expect((await readdir(dirname(dir))).filter((name) => name.startsWith('.nano-init-'))).toEqual([]);
  });

  it('refuses a path that is a file', async () => {
    const parent = await tempProject();
    const file = join(parent, 'taken');
    await writeFile(file, 'x');
    const error = await refusal(() => initProject(file, 'wat'));
    expect(error.code).toBe('InitRefused');
    expect(error.message).toBe(`${file} exists and is not a folder`);
    expect(await readFile(file, 'utf8')).toBe('x');
  });

  it('refuses an unknown template, naming the ones there are, and creates nothing', async () => {
    const parent = await tempProject();
    const dir = join(parent, 'hello');
    const error = await refusal(() => initProject(dir, 'rust'));
    expect(error.code).toBe('TemplateNotFound');
    expect(error.message).toBe('there is no template "rust"');
    expect(error.hint).toMatch(/^templates: .*\bwat\b/);
    expect(await readdir(parent)).toEqual([]);
  });
});

describe('the schema an editor finds through the modeline', () => {
  const schemaOf = async (dir: string) => {
    const modeline = /^# yaml-language-server: \$schema=(\S+)\n/.exec(await readFile(join(dir, 'nano.yml'), 'utf8'));
    return resolve(dir, modeline?.[1] ?? '');
  };

  it('is a copy inside the project, named relative to nano.yml, so it moves with the folder', async () => {
    const parent = await tempProject();
    const dir = join(parent, 'hello');
    await initProject(dir, 'wat');
    expect(await schemaOf(dir)).toBe(join(dir, '.nano/nano.schema.json'));
    expect(await readFile(join(dir, '.nano/nano.schema.json'), 'utf8')).toBe(await readFile(nanoSchemaPath(), 'utf8'));

    const moved = join(await tempProject(), 'elsewhere', 'renamed');
    await mkdir(dirname(moved));
    await rename(dir, moved);
    expect(existsSync(await schemaOf(moved))).toBe(true);
  });

  it('is kept in git by the template, unlike the rest of .nano/', async () => {
    for (const template of listTemplates()) {
      const dir = join(await tempProject(), template);
      await initProject(dir, template);
      expect(spawnSync('git', ['init', '-q'], { cwd: dir }).status).toBe(0);
      const ignored = (path: string) => spawnSync('git', ['check-ignore', '-q', path], { cwd: dir }).status === 0;
      expect(ignored('.nano/nano.schema.json'), template).toBe(false);
      expect(ignored('.nano/build/manifest.json'), template).toBe(true);
    }
  });
});
