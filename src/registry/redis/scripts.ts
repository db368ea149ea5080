/**
 * The two Lua scripts of a Redis registry. A script runs atomically (nothing
 * else runs on the server meanwhile), which gives what a shared registry needs:
 *
 * - COMMIT is a compare-and-set on the revision: it writes a change only if
 *   the store is still at the revision the change was worked out on, uses up
 *   the pending deploy in the same step, appends the commit to the log and
 *   publishes the new head. A stale node gets CONFLICT and runs its change
 *   again on the newer state.
 * - READ returns what a node needs to move from its revision to the head, as
 *   one consistent picture: the functions changed since (from the log), or the
 *   whole state when the log no longer reaches back that far (trimmed), or when
 *   the store's history is not the one the node holds (a store that lost its
 *   data). Reading the records outside a script could mix two revisions.
 *
 * Function records are passed and stored as JSON text that the scripts never
 * parse, so what a node reads is byte for byte what another wrote.
 */
import type { RegistryKeys } from './keys.js';
import type { Redis } from './connection.js';

const COMMIT = `
local rev = tonumber(redis.call('GET', KEYS[1]) or '0')
if rev ~= tonumber(ARGV[1]) then return redis.error_reply('CONFLICT ' .. rev) end
if ARGV[3] == '1' and redis.call('EXISTS', KEYS[7]) == 0 then return redis.error_reply('GONE') end
local change = cjson.decode(ARGV[4])
for _, pair in ipairs(change.set) do redis.call('HSET', KEYS[3], pair[1], pair[2]) end
for _, name in ipairs(change.del) do redis.call('HDEL', KEYS[3], name) end
for _, pair in ipairs(change.last) do redis.call('HSET', KEYS[4], pair[1], pair[2]) end
redis.call('SET', KEYS[5], ARGV[5])
local next = rev + 1
local head = next .. ':' .. ARGV[2]
redis.call('SET', KEYS[1], next)
redis.call('SET', KEYS[2], head)
redis.call('XADD', KEYS[6], 'MAXLEN', '~', ARGV[6], next .. '-0', 'names', ARGV[7], 'commit', ARGV[2])
if ARGV[3] == '1' then redis.call('DEL', KEYS[7]) end
redis.call('PUBLISH', ARGV[8], head)
return next
`;

const READ = `
local head = redis.call('GET', KEYS[1])
if not head then return {'EMPTY'} end
local function whole(kind)
  return {kind, head, redis.call('HGETALL', KEYS[3]), redis.call('HGETALL', KEYS[4]), redis.call('GET', KEYS[5]) or '[]'}
end
local from = tonumber(ARGV[1])
local headRev = tonumber(string.match(head, '^(%d+):'))
if ARGV[3] == 'whole' or headRev < from then return whole('WHOLE') end
if headRev == from then
  if head == ARGV[2] then return {'CURRENT', head} end
  return whole('WHOLE')
end
if from > 0 then
  local at = redis.call('XRANGE', KEYS[2], from .. '-0', from .. '-0')
  if #at == 1 and ARGV[2] ~= '' and from .. ':' .. at[1][2][4] ~= ARGV[2] then return whole('WHOLE') end
end
local entries = redis.call('XRANGE', KEYS[2], (from + 1) .. '-0', headRev .. '-0')
if #entries ~= headRev - from or entries[1][1] ~= (from + 1) .. '-0' then return whole('WHOLE') end
local names, seen = {}, {}
for _, entry in ipairs(entries) do
  for name in string.gmatch(entry[2][2], '[^\\n]+') do
    if not seen[name] then seen[name] = true; table.insert(names, name) end
  end
end
if #names == 0 then return {'DELTA', head, {}, {}, {}, redis.call('GET', KEYS[5]) or '[]'} end
return {'DELTA', head, names, redis.call('HMGET', KEYS[3], unpack(names)), redis.call('HMGET', KEYS[4], unpack(names)),
  redis.call('GET', KEYS[5]) or '[]'}
`;

/** What a commit writes, worked out from the state before and the draft after. */
export interface CommitWrite {
  expectedRevision: number;
  commitId: string;
  /** The pending deploy the commit uses up. */
  consumes?: string;
  set: [name: string, recordJson: string][];
  del: string[];
  last: [name: string, version: string][];
  deploymentsJson: string;
  names: string[];
  logLength: number;
}

export type ReadResult =
  | { kind: 'EMPTY' }
  | { kind: 'CURRENT'; head: string }
  | { kind: 'WHOLE'; head: string; functions: string[]; last: string[]; deploymentsJson: string }
  | { kind: 'DELTA'; head: string; names: string[]; records: (string | null)[]; last: (string | null)[]; deploymentsJson: string };

interface ScriptCommands {
  nanoCommit(...args: (string | number)[]): Promise<number>;
  nanoRead(...args: (string | number)[]): Promise<unknown[]>;
}

export function defineScripts(client: Redis): void {
  client.defineCommand('nanoCommit', { numberOfKeys: 7, lua: COMMIT });
  client.defineCommand('nanoRead', { numberOfKeys: 5, lua: READ });
}

/** The new revision; throws the server's CONFLICT or GONE reply as an Error whose message starts with it. */
export function runCommit(client: Redis, keys: RegistryKeys, write: CommitWrite): Promise<number> {
  const change = JSON.stringify({ set: write.set, del: write.del, last: write.last });
  // cjson decodes an empty JSON array as an empty table, and ipairs over it does nothing: no special case.
  return (client as unknown as ScriptCommands).nanoCommit(
    keys.rev,
    keys.head,
    keys.fn,
    keys.last,
    keys.deployments,
    keys.log,
    keys.pending(write.consumes ?? '-'),
    write.expectedRevision,
    write.commitId,
    write.consumes === undefined ? '0' : '1',
    change,
    write.deploymentsJson,
    write.logLength,
    write.names.join('\n'),
    keys.changes,
  );
}

export async function runRead(client: Redis, keys: RegistryKeys, from: number, head: string, whole: boolean): Promise<ReadResult> {
  const reply = await (client as unknown as ScriptCommands).nanoRead(
    keys.head,
    keys.log,
    keys.fn,
    keys.last,
    keys.deployments,
    from,
    head,
    whole ? 'whole' : 'delta',
  );
  const [kind, replyHead] = reply as [string, string];
  if (kind === 'EMPTY') return { kind };
  if (kind === 'CURRENT') return { kind, head: replyHead };
  if (kind === 'WHOLE') {
    const [, , functions, last, deploymentsJson] = reply as [string, string, string[], string[], string];
    return { kind, head: replyHead, functions, last, deploymentsJson };
  }
  const [, , names, records, last, deploymentsJson] = reply as [string, string, string[], (string | null)[], (string | null)[], string];
  return { kind: 'DELTA', head: replyHead, names, records, last, deploymentsJson };
}
