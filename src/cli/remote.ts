/**
 * Which platform a command talks to, for every command that does: the URL from
 * `--url`, else nano.yml's `provider.url`; the token from NANO_TOKEN, never from
 * nano.yml (a file that is committed).
 */
import type { Argv } from 'yargs';
import type { ControlClient } from '../client/index.js';
import type { ResolvedConfig } from '../config/index.js';
import { NanoError } from '../errors.js';
import { UsageError, type CommandContext, type GlobalFlags } from './context.js';

export interface RemoteFlags extends GlobalFlags {
  url?: string;
}

export interface Remote {
  client: ControlClient;
  url: string;
  /** The project, when the command read it. */
  config: ResolvedConfig | undefined;
}

/**
 * - `config`: the command needs the project (deploy, remove all): read it always.
 * - `optional`: use the project when there is one (info filters by its service).
 * - `url`: only for the URL: with --url, nano.yml is not read at all.
 */
export type ProjectNeed = 'config' | 'optional' | 'url';

export function withUrlOption<T>(command: Argv<T>): Argv<T & { url: string | undefined }> {
  return command.option('url', {
    type: 'string',
    describe: 'The platform (default: provider.url in nano.yml); token from NANO_TOKEN',
  }) as Argv<T & { url: string | undefined }>;
}

/**
 * The platform a command talks to, and the project when it has one. Only `nano deploy` ships the
 * functions' `env:` values: for every other command (`usesFunctionEnv` false) an unset variable there is
 * no reason to fail.
 */
export async function connect(flags: RemoteFlags, ctx: CommandContext, need: ProjectNeed, usesFunctionEnv = false): Promise<Remote> {
  const { ControlClient, normalizeUrl } = await import('../client/index.js');
  let config: ResolvedConfig | undefined;
  if (need !== 'url' || flags.url === undefined) {
    const { resolveConfig } = await import('../config/index.js');
    try {
      config = await resolveConfig(flags.config, {
        stage: flags.stage,
        env: ctx.io.env,
        cwd: ctx.io.cwd,
        functionEnv: usesFunctionEnv ? 'required' : 'unused',
      });
    } catch (error) {
      const missing = error instanceof NanoError && error.code === 'ConfigNotFound';
      if (!missing || need === 'config') throw error;
      if (flags.url === undefined) {
        throw new NanoError('ConfigNotFound', error.message, {
          value: error.value,
          hint: 'run it in a project folder, pass -c path/to/nano.yml, or name the platform with --url http://host:port',
        });
      }
    }
  }

  let url: string;
  if (flags.url !== undefined) {
    try {
      url = normalizeUrl(flags.url, '--url');
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
  } else if (config?.providerUrl) {
    url = normalizeUrl(config.providerUrl, `${config.file} provider.url`);
  } else {
    throw new NanoError('ConfigInvalid', `no platform to talk to: ${config?.file ?? 'nano.yml'} has no provider.url`, {
      hint: 'add `provider: { url: http://host:8000 }` to nano.yml, or pass --url',
    });
  }

  const token = ctx.io.env.NANO_TOKEN || undefined;
  return { client: new ControlClient({ url, token, tokenSource: 'NANO_TOKEN' }), url, config };
}
