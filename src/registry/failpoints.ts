/**
 * Named points where the crash-safety tests kill the server (`kill -9` from
 * inside, at an exact step of a deploy). Inert unless NANO_FAILPOINTS names the
 * point, so production never pays more than one lookup.
 */
const armed = new Set((process.env.NANO_FAILPOINTS ?? '').split(',').filter(Boolean));

export const FAILPOINTS = ['after-artifact-write', 'state-temp-written', 'after-state-write'] as const;
export type Failpoint = (typeof FAILPOINTS)[number];

export function failpoint(name: Failpoint): void {
  if (armed.has(name)) process.kill(process.pid, 'SIGKILL');
}
