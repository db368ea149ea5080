/** How nano was run → the command `nano init` suggests, typed the same way in the new project. */
import { delimiter } from 'node:path';
import { describe, expect, it } from 'vitest';
import { invocationOf, type InvocationProbe } from '../../src/cli/invocation.js';

/** A file system of a few files (path → text); links resolve through `links`. */
function probe(files: Record<string, string> = {}, links: Record<string, string> = {}): InvocationProbe {
  return {
    realpath: (path) => links[path] ?? path,
    readText: (path) => files[path],
    exists: (path) => path in files,
  };
}

const npxCache = (spec: string) => ({ '/home/ada/.npm/_npx/5eec/package.json': JSON.stringify({ _npx: { packages: [spec] } }) });
const NPX_BIN = '/home/ada/.npm/_npx/5eec/node_modules/.bin';

describe('invocationOf', () => {
  it('says nano without a script (the in-process CLI)', () => {
    expect(invocationOf(undefined, {}, '/home/ada/hello', probe())).toBe('nano');
  });

  it('names a bin link found on PATH by its name: a global install or npm link', () => {
    const env = { PATH: ['/usr/bin', '/usr/local/lib/node/bin'].join(delimiter) };
    expect(invocationOf('/usr/local/lib/node/bin/nano-wasm', env, '/home/ada/hello', probe())).toBe('nano-wasm');
    expect(invocationOf('/usr/local/lib/node/bin/nano', env, '/home/ada/hello', probe())).toBe('nano');
  });

  it('names a bin link off PATH by its absolute path', () => {
    const env = { PATH: '/usr/bin' };
    expect(invocationOf('/opt/tools/bin/nano-wasm', env, '/home/ada/hello', probe())).toBe('/opt/tools/bin/nano-wasm');
    expect(invocationOf('/opt/my tools/bin/nano', env, '/home/ada/hello', probe())).toBe(`'/opt/my tools/bin/nano'`);
  });

  it('says npx and the package asked for when npx fetched it from the registry, whichever bin name ran', () => {
    expect(invocationOf(`${NPX_BIN}/nano-wasm`, {}, '/tmp/hello', probe(npxCache('nano-wasm')))).toBe('npx nano-wasm');
    expect(invocationOf(`${NPX_BIN}/nano`, {}, '/tmp/hello', probe(npxCache('nano-wasm@0.1.0')))).toBe('npx nano-wasm@0.1.0');
  });

  it('says npx nano-wasm for a checkout run with npx only inside that checkout, and node <script> elsewhere', () => {
    const files = npxCache('/home/ada/nano');
    const links = { [`${NPX_BIN}/nano`]: '/home/ada/nano/dist/bin.js' };
    expect(invocationOf(`${NPX_BIN}/nano`, {}, '/home/ada/nano/hello', probe(files, links))).toBe('npx nano-wasm');
    expect(invocationOf(`${NPX_BIN}/nano`, {}, '/home/ada/hello', probe(files, links))).toBe('node ../nano/dist/bin.js');
    // A project with a package.json of its own is where npx would look, and it has no nano.
    const own = { ...files, '/home/ada/nano/greeter/package.json': '{}' };
    expect(invocationOf(`${NPX_BIN}/nano`, {}, '/home/ada/nano/greeter', probe(own, links))).toBe('node ../dist/bin.js');
  });

  it("says npx nano-wasm for a project's own dependency inside that project (npx or an npm script)", () => {
    const bin = '/home/ada/site/node_modules/.bin/nano';
    const links = { [bin]: '/home/ada/site/node_modules/nano-wasm/dist/bin.js' };
    // npm scripts put the .bin folder on PATH; the user still types npx.
    const env = { PATH: ['/home/ada/site/node_modules/.bin', '/usr/bin'].join(delimiter) };
    expect(invocationOf(bin, env, '/home/ada/site/functions-api', probe({}, links))).toBe('npx nano-wasm');
    expect(invocationOf(bin, env, '/srv/elsewhere/deep/down', probe({}, links))).toBe(
      'node /home/ada/site/node_modules/nano-wasm/dist/bin.js',
    );
  });

  it('says node <script>, relative to the project folder when that is shorter', () => {
    expect(invocationOf('/home/ada/nano/dist/bin.js', {}, '/home/ada/nano/hello', probe())).toBe('node ../dist/bin.js');
    expect(invocationOf('/home/ada/nano/dist/bin.js', {}, '/srv/projects/deep/down/here', probe())).toBe('node /home/ada/nano/dist/bin.js');
  });
});
