// The few parts of the wasm binary format the build (short-imports.mjs) and the benchmarks
// (www/bench/first-call.mjs) read and write: LEB128 numbers, names, sections.

/** A cursor over a module's bytes, from just past the 8-byte header unless told. */
export class WasmReader {
  constructor(bytes, at = 8) {
    this.bytes = bytes;
    this.at = at;
  }

  /** An unsigned LEB128 number (up to 2^53: no 32-bit overflow). */
  u32() {
    let value = 0;
    let shift = 0;
    let byte;
    do {
      byte = this.bytes[this.at++];
      value += (byte & 0x7f) * 2 ** shift;
      shift += 7;
    } while (byte & 0x80);
    return value;
  }

  /** A name: its byte length, then UTF-8. */
  name() {
    const length = this.u32();
    const text = Buffer.from(this.bytes.subarray(this.at, this.at + length)).toString();
    this.at += length;
    return text;
  }

  /** Each section: `{ id, start, end }`, the cursor at its content; the next starts at `end`. */
  *sections() {
    while (this.at < this.bytes.length) {
      const start = this.at;
      const id = this.bytes[this.at++];
      const end = this.u32() + this.at;
      yield { id, start, end };
      this.at = end;
    }
  }
}

/** `n` as an unsigned LEB128 number. */
export function uleb(n) {
  const out = [];
  do {
    let byte = n & 0x7f;
    n = Math.floor(n / 128);
    if (n) byte |= 0x80;
    out.push(byte);
  } while (n);
  return out;
}
