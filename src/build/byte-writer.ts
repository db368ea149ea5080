/**
 * The output buffer of instrument.ts: an append-only byte writer with the
 * LEB128 and name encodings the Wasm binary format uses.
 */

const UTF8_ENCODER = new TextEncoder();

/** An append-only byte buffer that doubles as it fills: no per-byte arrays on large bodies. */
export class ByteWriter {
  private buffer: Uint8Array;
  length = 0;

  constructor(capacity = 256) {
    this.buffer = new Uint8Array(capacity);
  }

  private reserve(extra: number): void {
    if (this.length + extra <= this.buffer.length) return;
    const grown = new Uint8Array(Math.max(this.buffer.length * 2, this.length + extra));
    grown.set(this.buffer.subarray(0, this.length));
    this.buffer = grown;
  }

  byte(value: number): void {
    this.reserve(1);
    this.buffer[this.length++] = value;
  }

  bytes(values: Uint8Array): void {
    this.reserve(values.length);
    // set() calls into the runtime: a loop is faster for the short spans most patches leave.
    if (values.length <= 16) for (let i = 0; i < values.length; i++) this.buffer[this.length + i] = values[i]!;
    else this.buffer.set(values, this.length);
    this.length += values.length;
  }

  /** Unsigned LEB128. */
  u32(value: number): void {
    let rest = value;
    do {
      const low = rest & 0x7f;
      rest = Math.floor(rest / 128);
      this.byte(rest === 0 ? low : low | 0x80);
    } while (rest !== 0);
  }

  name(text: string): void {
    // The pass's own names are ASCII: written directly, without an encoder's allocation.
    if (!/[\u0080-\uffff]/.test(text)) {
      this.u32(text.length);
      this.reserve(text.length);
      for (let i = 0; i < text.length; i++) this.buffer[this.length++] = text.charCodeAt(i);
      return;
    }
    const encoded = UTF8_ENCODER.encode(text);
    this.u32(encoded.length);
    this.bytes(encoded);
  }

  /** The bytes written so far, as a view (valid until the next write). */
  view(): Uint8Array {
    return this.buffer.subarray(0, this.length);
  }

  reset(): void {
    this.length = 0;
  }
}
