// Renames wasm-bindgen's hashed import names (`__wbg_get_2080c49015e35254`, 80 of them) to short
// ones (`$0`, `$1`, ...) in the wasm and in its JS glue alike. The hashes are random text that
// gzip cannot shrink, shipped twice: 3 KB of a Worker's gzipped size (issue 24).
//   node scripts/short-imports.mjs www/pkg/entra_edge_bg.wasm www/pkg/entra_edge.js
import { readFileSync, writeFileSync } from "node:fs";
import { WasmReader, uleb } from "./wasm-binary.mjs";

const [wasmPath, jsPath] = process.argv.slice(2);
const wasm = readFileSync(wasmPath);
let js = readFileSync(jsPath, "utf8");

const HASHED = /^__wb[a-z]*_.*_[0-9a-f]{16}$/;
const encode = (n) => Buffer.from(uleb(n));
const name = (text) => Buffer.concat([encode(Buffer.byteLength(text)), Buffer.from(text)]);

const reader = new WasmReader(wasm);
const parts = [wasm.subarray(0, 8)];
const renamed = new Map();
for (const { id, start, end } of reader.sections()) {
  if (id !== 2) {
    parts.push(wasm.subarray(start, end));
    continue;
  }
  // The import section: module and field names change length, the descriptors are copied.
  const count = reader.u32();
  const entries = [encode(count)];
  for (let i = 0; i < count; i++) {
    const module = reader.name();
    const field = reader.name();
    const descriptorStart = reader.at;
    const kind = wasm[reader.at++];
    if (kind === 0) reader.u32();
    else if (kind === 1 || kind === 2) {
      // A table's element type, then the limits: flags, minimum, maximum when flagged.
      if (kind === 1) reader.at++;
      const flags = reader.u32();
      reader.u32();
      if (flags & 1) reader.u32();
    } else if (kind === 3) reader.at += 2;
    else throw new Error(`import ${module}.${field}: unknown kind ${kind}`);
    let short = field;
    if (HASHED.test(field)) {
      short = renamed.get(field) ?? `$${renamed.size.toString(36)}`;
      renamed.set(field, short);
    }
    entries.push(name(module), name(short), wasm.subarray(descriptorStart, reader.at));
  }
  if (reader.at !== end) throw new Error("import section not read to its end");
  const body = Buffer.concat(entries);
  parts.push(Buffer.from([2]), encode(body.length), body);
}

for (const [long, short] of renamed) {
  // Each hashed name is the key of its shim in the glue's import object, and nowhere else.
  const uses = js.split(long).length - 1;
  if (uses !== 1) throw new Error(`${long} occurs ${uses} times in ${jsPath}; expected once`);
  js = js.replace(long, JSON.stringify(short));
}
writeFileSync(wasmPath, Buffer.concat(parts));
writeFileSync(jsPath, js);
console.log(`short-imports: ${renamed.size} imports renamed`);
