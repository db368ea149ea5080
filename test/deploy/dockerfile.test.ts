/**
 * The Dockerfile cannot be built here (no container registry to pull the base
 * image from), so it is checked as far as this machine allows: everything it
 * copies exists and is not excluded by .dockerignore, the image holds what the
 * npm package ships, and the command it runs is one `nano server` accepts.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { captureIo } from '../helpers/io.js';
import { REPO_ROOT } from '../helpers/project.js';

const dockerfile = readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8');
const ignored = readFileSync(join(REPO_ROOT, '.dockerignore'), 'utf8')
  .split('\n')
  .map((line) => line.trim())
  .filter((line) => line !== '' && !line.startsWith('#'));
const instructions = dockerfile.split('\n').filter((line) => /^[A-Z]+ /.test(line));
const jsonArgs = (keyword: string): string[] => {
  const line = instructions.find((item) => item.startsWith(`${keyword} `));
  if (!line) throw new Error(`the Dockerfile has no ${keyword}`);
  return JSON.parse(line.slice(keyword.length + 1)) as string[];
};
/** `COPY a b ./dest` sources, for the copies from the build context (not `--from=`). */
const contextSources = instructions
  .filter((line) => line.startsWith('COPY ') && !line.includes('--from='))
  .flatMap((line) => line.split(/\s+/).slice(1, -1));
const runtimeCopies = instructions
  .filter((line) => line.startsWith('COPY --from=build '))
  .map((line) => line.split(/\s+/)[2]!.replace(/^\/app\//, ''));

describe('the Dockerfile', () => {
  it('copies only files that exist and that .dockerignore lets through', () => {
    expect(contextSources.length).toBeGreaterThan(0);
    for (const source of contextSources) {
      expect(existsSync(join(REPO_ROOT, source)), source).toBe(true);
      expect(ignored, source).not.toContain(source);
    }
    // The local state that must never reach an image.
    for (const local of ['node_modules', 'dist', '.git', '**/.nano', '**/.nano-data']) expect(ignored).toContain(local);
  });

  it('ships what the npm package ships, with its runtime dependencies', () => {
    const { files } = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { files: string[] };
    for (const item of [...files, 'package.json', 'node_modules']) expect(runtimeCopies).toContain(item);
  });

  it('runs `nano server` with flags it takes, on the port it exposes, as a user that is not root', async () => {
    const entrypoint = jsonArgs('ENTRYPOINT');
    const command = jsonArgs('CMD');
    expect(entrypoint).toEqual(['node', 'dist/bin.js', 'server']);
    const io = captureIo({ cwd: REPO_ROOT });
    expect(await main(['server', '--help'], io)).toBe(0);
    for (const flag of command.filter((arg) => arg.startsWith('--'))) expect(io.out(), flag).toContain(`${flag} `);
    const port = command[command.indexOf('--port') + 1];
    expect(instructions).toContain(`EXPOSE ${port}`);
    expect(instructions.some((line) => /^USER (?!root)\w+/.test(line))).toBe(true);
  });
});
