// Bounds-checked cursors over byte arrays, shared by every wire format.

export class ByteReader {
  offset = 0;
  constructor(readonly bytes: Uint8Array) {}
  get remaining(): number {
    return this.bytes.length - this.offset;
  }
  has(n: number): boolean {
    return this.remaining >= n;
  }
  u8(): number {
    const v = this.bytes[this.offset];
    if (v === undefined) throw new RangeError('read past end');
    this.offset += 1;
    return v;
  }
  u16be(): number {
    return (this.u8() << 8) | this.u8();
  }
  u16le(): number {
    return this.u8() | (this.u8() << 8);
  }
  u32be(): number {
    return ((this.u16be() << 16) >>> 0) + this.u16be();
  }
  u32le(): number {
    return this.u16le() + ((this.u16le() << 16) >>> 0);
  }
  take(n: number): Uint8Array {
    if (!this.has(n)) throw new RangeError('read past end');
    const out = this.bytes.subarray(this.offset, this.offset + n);
    this.offset += n;
    return out;
  }
  rest(): Uint8Array {
    return this.take(this.remaining);
  }
}

export class ByteWriter {
  private buf: Uint8Array;
  length = 0;
  constructor(capacity = 128) {
    this.buf = new Uint8Array(capacity);
  }
  private ensure(n: number): void {
    if (this.length + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.length + n));
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
  }
  u8(v: number): this {
    this.ensure(1);
    this.buf[this.length++] = v & 0xff;
    return this;
  }
  u16be(v: number): this {
    return this.u8(v >>> 8).u8(v);
  }
  u16le(v: number): this {
    return this.u8(v).u8(v >>> 8);
  }
  u32be(v: number): this {
    return this.u16be(v >>> 16).u16be(v & 0xffff);
  }
  u32le(v: number): this {
    return this.u16le(v & 0xffff).u16le(v >>> 16);
  }
  bytes(b: Uint8Array): this {
    this.ensure(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
    return this;
  }
  finish(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}

/** "61 cc 07" or "61cc07" → bytes; for test vectors and logs. */
export function hex(text: string): Uint8Array {
  const clean = text.replace(/[\s:]/g, '');
  if (clean.length % 2 !== 0 || /[^0-9a-fA-F]/.test(clean)) throw new Error(`bad hex: ${text}`);
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(i * 2, i * 2 + 2), 16);
  return out;
}

export function toHex(bytes: Uint8Array, sep = ''): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(sep);
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
