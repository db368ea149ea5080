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
      return `an ${type} (a number)`;
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
  if (typeof raw === 'string' && FLOAT_TEXT.test(raw.trim())) return parseFloatText(raw.trim());
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

function parseFloatText(text: string): number {
  const lower = text.toLowerCase();
  if (lower.endsWith('nan')) return Number.NaN;
  if (lower.endsWith('inf') || lower.endsWith('infinity')) return lower.startsWith('-') ? -Infinity : Infinity;
  return Number(text);
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
 * Results as text: floats as JS prints them, i64 as a decimal BigInt, several
 * results (multi-value) joined by commas like the arguments, none as ''.
 */
export function renderResults(values: readonly WasmValue[]): string {
  if (values.length === 1) return String(values[0]);
  return values.map(String).join(',');
}
