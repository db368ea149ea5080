/**
 * Arguments in, results out, per the entry's signature. Pure: the server, the
 * CLI and the executor all go through here, so every surface accepts the same
 * forms and reports the same errors (`sum expects 2 arguments, got 1: sum(i32, i32) -> i32`).
 *
 * i64 travels as BigInt both ways; JSON numbers past 2^53 have already lost
 * digits when JSON.parse hands them over, so such values must come as strings
 * of digits (the seed query form always does).
 */
import { formatSignature, type Signature, type ValueType } from '../build/manifest.js';
import { NanoError } from '../errors.js';

export type WasmValue = number | bigint;
/** What callers may pass: numbers, BigInts, or numeric text (`"5"`, `"-0x10"`, `"1.5e3"`, `"NaN"`). */
export type RawArg = number | bigint | string;

const INTEGER_TEXT = /^[+-]?(?:\d+|0[xX][0-9a-fA-F]+)$/;
const FLOAT_TEXT = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$|^[+-]?(?:Infinity|inf)$|^[+-]?(?:NaN|nan)$/;

const I32_MIN = -(2 ** 31);
const U32_MAX = 2 ** 32 - 1;
const I64_MIN = -(2n ** 63n);
const U64_MAX = 2n ** 64n - 1n;

const ARGS_HINT = 'pass numbers as `?5,2`, a JSON array `[5, 2]` or `{"args": [5, 2]}`';

function badArguments(name: string, signature: Signature, message: string, value: unknown, hint = ARGS_HINT): NanoError {
  return new NanoError('BadArguments', `${message}: ${formatSignature(name, signature)}`, { value, hint });
}

function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'bigint') return `${value}`;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** Checks the count and converts each argument to the value its parameter type takes. */
export function coerceArgs(name: string, signature: Signature, raw: readonly unknown[]): WasmValue[] {
  const { params } = signature;
  if (raw.length !== params.length) {
    const plural = params.length === 1 ? '' : 's';
    throw badArguments(name, signature, `${name} expects ${params.length} argument${plural}, got ${raw.length}`, raw);
  }
  const values: WasmValue[] = new Array<WasmValue>(params.length);
  for (let i = 0; i < params.length; i++) {
    const type = params[i] as ValueType;
    const value = coerceOne(type, raw[i]);
    if (value === undefined) {
      throw badArguments(name, signature, `${name} argument ${i + 1} must be ${describe(type)}, got ${show(raw[i])}`, raw[i]);
    }
    values[i] = value;
  }
  return values;
}

function describe(type: ValueType): string {
  switch (type) {
    case 'i32':
      return 'an i32 (an integer from -2147483648 to 4294967295)';
    case 'i64':
      return 'an i64 (an integer from -2^63 to 2^64-1; beyond 2^53 pass it as a string of digits)';
    default:
      return `an ${type} (a finite number of the type, Infinity, -Infinity or NaN)`;
  }
}

function coerceOne(type: ValueType, raw: unknown): WasmValue | undefined {
  // The common case, without a BigInt detour: `| 0` wraps unsigned spellings as Wasm sees the bits.
  if (type === 'i32' && typeof raw === 'number') return Number.isInteger(raw) && raw >= I32_MIN && raw <= U32_MAX ? raw | 0 : undefined;
  if (type === 'i32' || type === 'i64') {
    const big = toBigInt(raw);
    if (big === undefined) return undefined;
    if (type === 'i64') return big >= I64_MIN && big <= U64_MAX ? BigInt.asIntN(64, big) : undefined;
    // Unsigned spellings (up to 2^32-1) wrap to the same bits, as Wasm sees them.
    return big >= BigInt(I32_MIN) && big <= BigInt(U32_MAX) ? Number(BigInt.asIntN(32, big)) : undefined;
  }
  if (typeof raw === 'number') return raw;
  if (typeof raw === 'string' && FLOAT_TEXT.test(raw.trim())) return parseFloatText(type, raw.trim());
  return undefined;
}

function toBigInt(raw: unknown): bigint | undefined {
  if (typeof raw === 'bigint') return raw;
  // Unsafe integers have already been rounded; refusing them beats computing with the wrong number.
  if (typeof raw === 'number') return Number.isSafeInteger(raw) ? BigInt(raw) : undefined;
  if (typeof raw !== 'string') return undefined;
  const text = raw.trim();
  if (!INTEGER_TEXT.test(text)) return undefined;
  const negative = text.startsWith('-');
  const digits = text.replace(/^[+-]/, '');
  const magnitude = BigInt(digits);
  return negative ? -magnitude : magnitude;
}

function parseFloatText(type: ValueType, text: string): number | undefined {
  const lower = text.toLowerCase();
  if (lower.endsWith('nan')) return Number.NaN;
  if (lower.endsWith('inf') || lower.endsWith('infinity')) return lower.startsWith('-') ? -Infinity : Infinity;
  const value = Number(text);
  // `1e400` (or `1e39` for an f32) is no number of the type: refused rather than silently made Infinity,
  // which the text can say (underflow to 0 or a subnormal is only rounding, and accepted).
  const rounded = type === 'f32' ? Math.fround(value) : value;
  return Number.isFinite(rounded) ? value : undefined;
}

/**
 * The seed's query form: `/exec/sum?5,2` → `"5,2"`. An empty query means no
 * arguments. Percent-encoding (`5%2C2`, `-1%2E5`) is decoded first.
 */
export function parseQueryArgs(name: string, signature: Signature, query: string): WasmValue[] {
  let text = query.startsWith('?') ? query.slice(1) : query;
  try {
    text = decodeURIComponent(text.replaceAll('+', ' '));
  } catch {
    throw badArguments(name, signature, `${name}: the query ${show(query)} is not valid percent-encoding`, query);
  }
  const parts = text.trim() === '' ? [] : text.split(',').map((part) => part.trim());
  return coerceArgs(name, signature, parts);
}

/** A JSON body: `[5, 2]` or `{"args": [5, 2]}`; an empty body means no arguments. */
export function parseJsonArgs(name: string, signature: Signature, body: string): WasmValue[] {
  if (body.trim() === '') return coerceArgs(name, signature, []);
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw badArguments(name, signature, `${name}: the request body is not valid JSON (${reason})`, body);
  }
  if (Array.isArray(parsed)) return coerceArgs(name, signature, parsed);
  if (parsed !== null && typeof parsed === 'object' && Array.isArray((parsed as { args?: unknown }).args)) {
    return coerceArgs(name, signature, (parsed as { args: unknown[] }).args);
  }
  throw badArguments(name, signature, `${name}: expected a JSON array of arguments or {"args": [...]}, got ${show(parsed)}`, parsed);
}

/**
 * Results as text that reads back as the same value: i32 and i64 in decimal, an
 * f64 as JS prints it, an f32 as the shortest decimal that rounds back to it
 * (`0.1`, not the double `0.10000000149011612`), `-0`, `NaN`, `Infinity` and
 * `-Infinity` as written. Several results (multi-value) are joined by commas
 * like the arguments; none is ''. Without `types`, numbers print as f64.
 */
export function renderResults(values: readonly WasmValue[], types: readonly ValueType[] = []): string {
  if (values.length === 1) return renderValue(values[0]!, types[0]);
  return values.map((value, i) => renderValue(value, types[i])).join(',');
}

function renderValue(value: WasmValue, type: ValueType | undefined): string {
  if (typeof value === 'bigint') return `${value}`;
  // String(-0) is "0": the sign of zero is part of a float's value (1/-0 is -Infinity).
  if (Object.is(value, -0)) return '-0';
  if (type === 'f32' && Number.isFinite(value)) return shortestF32(value);
  return String(value);
}

/**
 * The shortest decimal that Math.fround reads back as `value` (an f32, exactly
 * representable as a double). At each length the correctly rounded decimal is
 * tried, and its neighbours: at a power of two the f32's rounding interval is
 * lopsided, and the shortest decimal inside it may not be the nearest one.
 */
function shortestF32(value: number): string {
  for (let digits = 1; digits < 9; digits++) {
    const [mantissa = '', exponent = '0'] = value.toExponential(digits - 1).split('e');
    const scaled = BigInt(mantissa.replace('.', ''));
    const power = Number(exponent) - (digits - 1);
    let best: number | undefined;
    for (const candidate of [scaled, scaled - 1n, scaled + 1n]) {
      const decimal = Number(`${candidate}e${power}`);
      if (Math.fround(decimal) !== value) continue;
      if (best === undefined || Math.abs(decimal - value) < Math.abs(best - value)) best = decimal;
    }
    // String() of a double with at most `digits` significant digits prints those digits (or fewer).
    if (best !== undefined) return String(best);
  }
  // Nine significant digits always identify an f32.
  return String(Number(value.toPrecision(9)));
}
