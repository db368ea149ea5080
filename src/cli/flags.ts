/** Checks of numeric flags that yargs' `type: 'number'` lets through (NaN, -5, 1.5): a usage error, exit 2. */
import { UsageError } from './context.js';

export const GIB = 1024 * 1024 * 1024;

export function checkWholeNumber(flag: string, value: number, min: number, max: number, unit = ''): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    const suffix = unit ? ` ${unit}` : '';
    throw new UsageError(`--${flag} must be a whole number${suffix} from ${min} to ${max}, got ${String(value)}`);
  }
}

/** The flags `nano dev` and `nano server` share. */
export function checkServeFlags(flags: { port: number; workers: number; 'max-body-size': number }): void {
  checkWholeNumber('port', flags.port, 0, 65_535);
  checkWholeNumber('workers', flags.workers, 1, 1024);
  checkWholeNumber('max-body-size', flags['max-body-size'], 1, GIB, 'of bytes');
}
