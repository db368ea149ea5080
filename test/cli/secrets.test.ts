/**
 * A function's env values are often secrets substituted from the deployer's environment: only
 * `nano deploy` needs them (the other commands work with the variable unset), the control plane shows
 * their names and never their values, and the files holding them (the build manifest, the registry's
 * state.json) are readable by their owner only.
 */
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { killStrayProcesses } from '../helpers/cli-process.js';
import { captureIo } from '../helpers/io.js';
import { startServer, TOKEN, type RunningServer } from '../helpers/platform.js';
import { examplesCopy, removeTempProjects } from '../helpers/project.js';

const SECRET = 's3cret-value-42';
let project: string;
let server: RunningServer;

async function nano(args: string[], env: Record<string, string> = {}) {
  const io = captureIo({ cwd: project, env: { NANO_TOKEN: TOKEN, ...env } });
  const code = await main(args, io);
  return { code, out: io.out(), err: io.err() };
}

beforeAll(async () => {
  project = await examplesCopy();
  const yml = await readFile(join(project, 'nano.yml'), 'utf8');
  await writeFile(join(project, 'nano.yml'), yml.replace('    memory: 4\n', '    memory: 4\n    env: { API_KEY: "${env:API_KEY}" }\n'));
  server = await startServer();
});

afterAll(async () => {
  await killStrayProcesses();
  await removeTempProjects();
});

describe('env values of functions', () => {
  it('are needed by nano deploy only: the other commands work with the variable unset', async () => {
    const refused = await nano(['deploy', '--url', server.url]);
    expect(refused.code).toBe(1);
    expect(refused.err).toContain('environment variable API_KEY is not set');
    expect((await nano(['deploy', '--url', server.url], { API_KEY: SECRET })).code).toBe(0);

    for (const args of [['info'], ['info', 'items'], ['logs', 'items'], ['rollback', 'answer', '--to', '1']]) {
      const result = await nano([...args, '--url', server.url]);
      expect(result.err, args.join(' ')).not.toContain('API_KEY');
      expect(result.code, `${args.join(' ')}: ${result.err}`).toBe(0);
    }
    expect((await nano(['remove', '-f', 'items', '--yes', '--url', server.url])).code).toBe(0);
  });

  it('are shown by name, never by value, and kept in files only their owner can read', async () => {
    expect((await nano(['deploy', '--url', server.url], { API_KEY: SECRET })).code).toBe(0);
    const info = await nano(['info', 'items', '--json', '--url', server.url]);
    expect(info.code).toBe(0);
    expect(info.out).not.toContain(SECRET);
    expect(JSON.parse(info.out)).toMatchObject({ versions: { versions: [{ env: { API_KEY: '***' } }] } });
    // The function itself still gets the value.
    const state = await readFile(join(server.dataDir, 'state.json'), 'utf8');
    expect(state).toContain(SECRET);
    expect((await stat(join(server.dataDir, 'state.json'))).mode & 0o077).toBe(0);
    const manifest = join(project, '.nano', 'build', 'manifest.json');
    expect(await readFile(manifest, 'utf8')).toContain(SECRET);
    expect((await stat(manifest)).mode & 0o077).toBe(0);
  });
});
