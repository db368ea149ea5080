/**
 * The keys and channels of a Redis registry, under one prefix. The registry's
 * own keys share the hash tag `{prefix}` so that a script's keys sit in one
 * slot (Redis Cluster); artifacts and invocation logs do not need to.
 *
 *   {p}:meta          hash: format (1)
 *   {p}:rev           the revision: +1 per commit
 *   {p}:head          "<rev>:<commit id>", written with the revision
 *   {p}:fn            hash: function name → FunctionRecord (JSON)
 *   {p}:last          hash: function name → highest version number it ever had
 *   {p}:deployments   the recent deployments (JSON array, capped)
 *   {p}:log           stream of commits: id "<rev>-0", fields names ("\n"-joined) and commit
 *   {p}:pending:<id>  a deploy request between plan and commit, with a TTL
 *   {p}:nodes         hash: node id → { url, revision, at } (presence)
 *   p:a:<sha256>      artifact bytes, written once
 *   p:inv:<fn>        stream of a function's invocation log entries, capped
 *   channels p:changes (new head), p:acks (a node applied a revision), p:inv (log entries, live)
 */
export interface RegistryKeys {
  meta: string;
  rev: string;
  head: string;
  fn: string;
  last: string;
  deployments: string;
  log: string;
  nodes: string;
  pending(id: string): string;
  artifact(sha256: string): string;
  invocations(name: string): string;
  changes: string;
  acks: string;
  liveInvocations: string;
}

export function registryKeys(prefix: string): RegistryKeys {
  const tagged = `{${prefix}}`;
  return {
    meta: `${tagged}:meta`,
    rev: `${tagged}:rev`,
    head: `${tagged}:head`,
    fn: `${tagged}:fn`,
    last: `${tagged}:last`,
    deployments: `${tagged}:deployments`,
    log: `${tagged}:log`,
    nodes: `${tagged}:nodes`,
    pending: (id) => `${tagged}:pending:${id}`,
    artifact: (sha256) => `${prefix}:a:${sha256}`,
    invocations: (name) => `${prefix}:inv:${name}`,
    changes: `${prefix}:changes`,
    acks: `${prefix}:acks`,
    liveInvocations: `${prefix}:inv`,
  };
}
