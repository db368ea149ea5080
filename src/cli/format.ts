/** Small renderings shared by the commands that show functions: sizes, limits, durations. */
import type { Limits } from '../build/index.js';
import { formatDuration } from '../config/durations.js';
import type { Convergence } from '../server/control-api.js';

/** 0 → "0 B", 1536 → "1.5 KiB", 8388608 → "8.0 MiB". */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}

/** "1 page, timeout 5s, ttl 1s, concurrency 2", as `nano dev` prints them. */
export function limitsText(limits: Limits): string {
  const { memoryPages, timeoutMs, cacheTtlMs, concurrency } = limits;
  const parts = [
    `${memoryPages} page${memoryPages === 1 ? '' : 's'}`,
    `timeout ${formatDuration(timeoutMs)}`,
    `ttl ${formatDuration(cacheTtlMs)}`,
  ];
  if (concurrency !== null) parts.push(`concurrency ${concurrency}`);
  return parts.join(', ');
}

/** Milliseconds for people: 0.42 → "0.4ms", 12.3 → "12ms", 1500 → "1.5s". */
export function formatMs(ms: number): string {
  if (ms < 10) return `${ms.toFixed(1)}ms`;
  if (ms < 1000) return `${Math.round(ms)}ms`;
  return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)}s`;
}

export const plural = (count: number, word: string) => `${count} ${word}${count === 1 ? '' : 's'}`;

/**
 * How far a change has spread over the nodes of a shared registry: "live on 3/3 nodes in 9 ms", or
 * which nodes had not applied it yet. Nothing for one node: its change is live when the command answers.
 */
export function convergenceText(convergence: Convergence | undefined): string | undefined {
  if (convergence === undefined || (convergence.nodes <= 1 && convergence.lagging.length === 0)) return undefined;
  const { nodes, converged, ms, lagging } = convergence;
  const live = `live on ${converged}/${nodes} node${nodes === 1 ? '' : 's'} in ${Math.round(ms)} ms`;
  return lagging.length === 0 ? live : `${live}; not yet on ${lagging.join(', ')} (each catches up on its own, or turns not ready)`;
}
