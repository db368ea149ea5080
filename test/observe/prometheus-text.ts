/**
 * A /metrics answer read back with a Prometheus text-format parser (parse-prometheus-text-format, a port
 * of client_python's): every sample with its labels and value, and each family's type.
 *
 * That parser folds all series of a labelled histogram into one, dropping their labels, `_sum` and
 * `_count`. So a histogram family is handed to it as untyped: each of its lines is then parsed with its
 * labels, as a sample of `<name>_bucket`, `<name>_sum` or `<name>_count`, and the family keeps the type
 * its TYPE line gave it.
 */
import parsePrometheusTextFormat from 'parse-prometheus-text-format';

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export class Exposition {
  constructor(
    /** Family name → counter, gauge, histogram, … as its TYPE line says. */
    readonly types: ReadonlyMap<string, string>,
    readonly samples: readonly Sample[],
  ) {}

  /** The samples named `name` whose labels include `labels`. */
  select(name: string, labels: Record<string, string> = {}): Sample[] {
    return this.samples.filter(
      (sample) => sample.name === name && Object.entries(labels).every(([key, value]) => sample.labels[key] === value),
    );
  }

  /** The value of the one sample that matches; throws unless there is exactly one. */
  value(name: string, labels: Record<string, string> = {}): number {
    const found = this.select(name, labels);
    if (found.length !== 1) throw new Error(`${found.length} samples of ${name} ${JSON.stringify(labels)}`);
    return found[0]!.value;
  }

  /** The values of every matching sample added up (0 when none matches). */
  sum(name: string, labels: Record<string, string> = {}): number {
    return this.select(name, labels).reduce((total, sample) => total + sample.value, 0);
  }
}

export function readExposition(text: string): Exposition {
  const types = new Map<string, string>();
  for (const [, name, type] of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) types.set(name!, type!);
  const untyped = text.replace(/^# TYPE (\S+) histogram$/gm, '# TYPE $1 untyped');
  const samples: Sample[] = [];
  for (const family of parsePrometheusTextFormat(untyped)) {
    for (const metric of family.metrics) {
      if (metric.value === undefined) throw new Error(`${family.name}: a sample without a value`);
      samples.push({ name: family.name, labels: metric.labels ?? {}, value: Number(metric.value) });
    }
  }
  return new Exposition(types, samples);
}
