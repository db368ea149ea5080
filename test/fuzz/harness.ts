/**
 * The frame every fuzz property runs in. Strategy: one fast-check property per
 * kind of input, run with `fc.check` so that the runner learns how many inputs
 * ran and how the first failing one failed; a property's predicate says, per
 * input, whether nano accepted or refused it, and reports a broken promise
 * through `violation(kind, …)`, which fails the input (fast-check then shrinks
 * it to a minimal counterexample and prints the seed and path to replay it).
 *
 * Two modes:
 * - `npm test`: a fixed seed and a small, fixed number of inputs per property
 *   (the bounded suite, deterministic).
 * - `npm run fuzz -- --runs N [--seed S]` (test/fuzz/run.ts) sets NANO_FUZZ_RUNS
 *   and NANO_FUZZ_SEED: N inputs in all, shared among the properties by weight,
 *   and every property writes its counts to NANO_FUZZ_REPORT for the summary.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';

/** Total inputs of a long run (`--runs`), or undefined in the bounded suite. */
const LONG_RUNS = process.env.NANO_FUZZ_RUNS === undefined ? undefined : Math.max(1, Number(process.env.NANO_FUZZ_RUNS) || 0);
export const LONG = LONG_RUNS !== undefined;
/** The bounded suite's seed is fixed; a long run takes `--seed` or a random one (printed by run.ts). */
export const SEED = Number(process.env.NANO_FUZZ_SEED ?? 20261128) | 0;
/**
 * `--keep-going`: a violation is counted and the run goes on (no shrinking), so a
 * long run measures how many inputs of each kind break a property; the first
 * few distinct violations are kept for the report.
 */
export const KEEP_GOING = LONG && process.env.NANO_FUZZ_KEEP_GOING === '1';
/** vitest's per-test timeout for a property: a long run may take many minutes. */
export const FUZZ_TIMEOUT_MS = LONG ? 6 * 60 * 60_000 : 120_000;

export type InputKind = 'nano.yml' | 'module' | 'http';
export type ViolationKind = 'crash' | 'stackTrace' | 'registryChange' | 'unanswered' | 'other';

export interface Counts {
  kind: InputKind;
  property: string;
  seed: number;
  inputs: number;
  shrinks: number;
  refused: number;
  accepted: number;
  crash: number;
  stackTrace: number;
  registryChange: number;
  unanswered: number;
  other: number;
  failure?: string;
  /** --keep-going: the first violations of each distinct first line, with their inputs. */
  samples?: string[];
}

export class Violation extends Error {
  constructor(
    readonly kind: ViolationKind,
    message: string,
  ) {
    super(`[${kind}] ${message}`);
    this.name = 'Violation';
  }
}

/** Fails the current input: a broken property of the given kind. */
export function violation(kind: ViolationKind, message: string): never {
  throw new Violation(kind, message);
}

export type Verdict = 'refused' | 'accepted';

/** A stack frame as V8 prints it: what a user must never see. */
export const STACK_LINE = /^\s+at .+(\(|:\d+:\d+)/m;

/** Describes an unexpected exception for a counterexample report. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}\n${error.stack ?? ''}`.slice(0, 2000);
  return String(error).slice(0, 2000);
}

export interface FuzzOptions<T = unknown> {
  kind: InputKind;
  /** Names the property in reports. */
  property: string;
  /** Inputs in the bounded suite (`npm test`). */
  bounded: number;
  /** This property's share of a long run's `--runs` (the shares of all properties add up to 1). */
  share: number;
  /** Inputs run first, every time: counterexamples found before, kept as regressions. */
  examples?: T[];
}

/** How many inputs this property runs now. */
export function runsFor(options: Pick<FuzzOptions, 'bounded' | 'share'>): number {
  return LONG_RUNS === undefined ? options.bounded : Math.max(1, Math.round(LONG_RUNS * options.share));
}

/**
 * Runs one property: `predicate` gets each generated input and returns whether
 * nano accepted or refused it, or throws (a `Violation`, or anything else: a bug
 * of the harness or an unexpected exception the predicate did not catch, counted as a crash).
 */
export async function fuzz<T>(
  options: FuzzOptions<NoInfer<T>>,
  arbitrary: fc.Arbitrary<T>,
  predicate: (input: T) => Promise<Verdict>,
): Promise<Counts> {
  const counts: Counts = {
    kind: options.kind,
    property: options.property,
    seed: SEED,
    inputs: 0,
    shrinks: 0,
    refused: 0,
    accepted: 0,
    crash: 0,
    stackTrace: 0,
    registryChange: 0,
    unanswered: 0,
    other: 0,
  };
  // fast-check runs inputs one after another and shrinks only after the first failure: count until then.
  let failed = false;
  // Shrinking assumes inputs are independent; one that poisons the process (wabt's state) makes every later one fail too.
  let firstFailure: string | undefined;
  const samples = new Map<string, string>();
  const property = fc.asyncProperty(arbitrary, async (input) => {
    try {
      const verdict = await predicate(input);
      if (!failed) counts[verdict] += 1;
    } catch (error) {
      if (!failed) counts[error instanceof Violation ? error.kind : 'crash'] += 1;
      if (KEEP_GOING) {
        const message = error instanceof Violation ? error.message : describeError(error);
        const key = message.split('\n')[0]!.replace(/\d+/g, 'N').slice(0, 200);
        if (!samples.has(key) && samples.size < 20)
          samples.set(key, `${message.slice(0, 1500)}\n  input: ${fc.stringify(input).slice(0, 600)}`);
        return;
      }
      if (!failed)
        firstFailure = `${fc.stringify(input).slice(0, 600)}\n  ${error instanceof Error ? error.message.slice(0, 600) : String(error)}`;
      failed = true;
      throw error;
    }
  });
  const details = await fc.check(property, {
    seed: SEED,
    numRuns: runsFor(options),
    // --keep-going measures the generators alone; the regressions run in every other mode.
    examples: KEEP_GOING ? [] : (options.examples ?? []).map((example): [T] => [example]),
  });
  counts.inputs = details.numRuns;
  counts.shrinks = details.numShrinks;
  if (details.failed) {
    const cause = details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
    counts.failure = `${fc.defaultReportMessage(details) ?? 'failed'}\n${cause}\nfirst failing input, before shrinking: ${firstFailure}`;
  }
  if (samples.size > 0) {
    counts.samples = [...samples.values()];
    counts.failure = `${samples.size} distinct violations, e.g.:\n${counts.samples.join('\n\n')}`;
  }
  writeReport(counts);
  if (counts.failure !== undefined) throw new Error(`${options.kind} / ${options.property}: ${counts.failure}`);
  return counts;
}

function writeReport(counts: Counts): void {
  const dir = process.env.NANO_FUZZ_REPORT;
  if (!dir) return;
  mkdirSync(dir, { recursive: true });
  const slug = `${counts.kind}-${counts.property}`.replace(/[^a-z0-9]+/gi, '-');
  writeFileSync(join(dir, `${slug}.json`), JSON.stringify(counts, null, 2));
}

/** Picks from a weighted list: `weighted([3, a], [1, b])`. */
export function weighted<T>(...items: [number, fc.Arbitrary<T>][]): fc.Arbitrary<T> {
  return fc.oneof(...items.map(([weight, arbitrary]) => ({ weight, arbitrary })));
}
