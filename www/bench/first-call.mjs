// What the first `new` of an isolate costs, and why (issue 24, third round). Three parts:
//  1. workerd (Miniflare): the CPU of the first call of freshly loaded wasm, for generated
//     modules of N functions of S bytes each (each called once), minus the second call. It
//     separates a per-function cost from a per-byte cost.
//  2. workerd: loading a Worker whose wasm is the package's (490 KB) or a 0.6 KB module: do the
//     bytes cost loading?
//  3. Node: what the package's first `new` executes: distinct wasm functions (and their bytes),
//     distinct imports and import calls, counted on a copy of dist/ whose wasm binaryen's
//     --log-execution instruments (each function entry calls an import with its own id).
// Run with `node www/bench/first-call.mjs [rounds]` after scripts/build.sh.
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { WasmReader, uleb } from "../../scripts/wasm-binary.mjs";
import { measureFresh } from "./workerd-cpu.mjs";

const WWW = fileURLToPath(new URL("..", import.meta.url));
const ROUNDS = Number(process.argv[2] ?? 7);
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

// The generated modules: i32.const takes a signed LEB128 number.
const sleb = (n) => {
  const out = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && !(b & 0x40)) || (n === -1 && b & 0x40)) return [...out, b];
    out.push(b | 0x80);
  }
};
const section = (id, bytes) => [id, ...uleb(bytes.length), ...bytes];
const vec = (items) => [...uleb(items.length), ...items.flat()];

/** `count` functions (i32) -> i32, each `ops` multiply-xor steps long, and `run` calling each once. */
function generated(count, ops) {
  const body = (i) => {
    const code = [0x20, 0]; // local.get 0
    for (let k = 0; k < ops; k++) code.push(0x41, ...sleb(((i * 7919 + k * 104729) % 1000003) + 3), 0x6c, 0x41, ...sleb(k + i), 0x73);
    return [0, ...code, 0x0b]; // no locals; end
  };
  const run = [0, 0x20, 0, ...Array.from({ length: count }, (_, i) => [0x10, ...uleb(i)]).flat(), 0x0b];
  const bodies = [...Array.from({ length: count }, (_, i) => body(i)), run].map((b) => [...uleb(b.length), ...b]);
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0,
    ...section(1, vec([[0x60, 1, 0x7f, 1, 0x7f]])),
    ...section(3, vec(Array.from({ length: count + 1 }, () => [0]))),
    ...section(7, vec([[...uleb(3), ...Buffer.from("run"), 0x00, ...uleb(count)]])),
    ...section(10, vec(bodies)),
  ]);
}

/** A fresh workerd with `wasm` as a module and `js` as the Worker; `paths` requested in turn. */
async function fresh(wasm, js, paths) {
  const dir = mkdtempSync(join(tmpdir(), "entra-edge-first-call-"));
  writeFileSync(join(dir, "m.wasm"), wasm);
  writeFileSync(join(dir, "w.js"), js);
  try {
    return await measureFresh({
      modulesRoot: dir,
      modules: [{ type: "ESModule", path: join(dir, "w.js") }, { type: "CompiledWasm", path: join(dir, "m.wasm") }],
      compatibilityDate: "2026-04-01",
    }, paths);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// 1. First calls of generated modules.
const shapes = [[30, 1], [300, 1], [300, 10], [30, 100], [3, 1000]];
const runner = `import mod from "./m.wasm";
const instance = new WebAssembly.Instance(mod, {});
export default { async fetch(request) { if (new URL(request.url).pathname === "/run") instance.exports.run(1); return new Response("ok"); } };`;
const firstCalls = shapes.map(() => []);
for (let r = 0; r < ROUNDS; r++) {
  for (const [i, [count, ops]] of shapes.entries()) {
    const { times } = await fresh(generated(count, ops), runner, ["/noop", "/run", "/run"]);
    firstCalls[i].push(times[1] - times[2]);
  }
}
console.log(`1. workerd: the first call of each function of a freshly loaded module (${ROUNDS} rounds, medians of the workerd process's CPU, first call minus second)\n`);
console.log("| functions called once | bytes of code | first call, ms |");
console.log("|---|---|---|");
for (const [i, [count, ops]] of shapes.entries()) {
  console.log(`| ${count} | ${generated(count, ops).length} | ${median(firstCalls[i]).toFixed(2)} |`);
}

// 2. Loading: the package's wasm, unused, against a tiny module.
const holder = `import mod from "./m.wasm"; export default { async fetch() { return new Response(String(!!mod)); } };`;
const packageWasm = readFileSync(join(WWW, "dist", "entra_edge_bg.wasm"));
const loads = { tiny: [], package: [] };
for (let r = 0; r < ROUNDS; r++) {
  loads.tiny.push((await fresh(generated(30, 1), holder, [])).load);
  loads.package.push((await fresh(packageWasm, holder, [])).load);
}
console.log(`\n2. workerd: loading a Worker (start until ready, CPU): a ${generated(30, 1).length}-byte module ${median(loads.tiny).toFixed(1)} ms, the package's ${packageWasm.length}-byte module ${median(loads.package).toFixed(1)} ms`);

// 3. What the package's first `new` executes (Node).
const dir = mkdtempSync(join(tmpdir(), "entra-edge-first-new-"));
copyFileSync(join(WWW, "dist", "node.mjs"), join(dir, "node.mjs"));
const features = ["bulk-memory", "nontrapping-float-to-int", "sign-ext", "mutable-globals", "reference-types", "multivalue"].map((f) => `--enable-${f}`);
execFileSync(join(WWW, "node_modules", ".bin", "wasm-opt"), [join(WWW, "dist", "entra_edge_bg.wasm"), "--log-execution", ...features, "-o", join(dir, "entra_edge_bg.wasm")]);

/** Each function's body size in `bytes` and, when instrumented, the id its entry logs. */
function functions(bytes) {
  const reader = new WasmReader(bytes);
  const out = [];
  for (const { id } of reader.sections()) {
    if (id !== 10) continue;
    for (let n = reader.u32(), i = 0; i < n; i++) {
      const size = reader.u32();
      const start = reader.at;
      for (let locals = reader.u32(), j = 0; j < locals; j++) {
        reader.u32();
        reader.at++;
      }
      // --log-execution starts each function with i32.const <its id> (small, non-negative).
      const entry = bytes[reader.at] === 0x41 ? (reader.at++, reader.u32()) : undefined;
      out.push({ size, entry });
      reader.at = start + size;
    }
  }
  return out;
}
const plain = functions(packageWasm);
const byEntry = new Map(functions(readFileSync(join(dir, "entra_edge_bg.wasm"))).map((f, i) => [f.entry, i]));
const executed = new Set();
const imports = new Map();
let counting = false;
const RealInstance = WebAssembly.Instance;
WebAssembly.Instance = function (module, given) {
  const counted = {};
  for (const [ns, fns] of Object.entries(given)) {
    counted[ns] = {};
    for (const [name, f] of Object.entries(fns)) {
      counted[ns][name] = typeof f !== "function" ? f : function (...args) {
        if (counting) imports.set(name, (imports.get(name) ?? 0) + 1);
        return f.apply(this, args);
      };
    }
  }
  counted["./entra_edge_bg.js"].log_execution = (id) => {
    if (counting) executed.add(id);
  };
  return new RealInstance(module, counted);
};
const { ConfidentialClientApplication } = await import(pathToFileURL(join(dir, "node.mjs")).href);
const auth = { clientId: "11111111-2222-3333-4444-555555555555", tokenEndpoint: "http://127.0.0.1:9/token", clientSecret: "s3cret-value" };
try {
  new ConfidentialClientApplication(42); // instantiates the wasm; refused at once
} catch {
  // Expected.
}
console.log("\n3. What the first `new` executes (Node, instrumented copy of dist/; the wasm already instantiated)\n");
console.log("| configuration | distinct wasm functions | their bytes | distinct imports | import calls |");
console.log("|---|---|---|---|---|");
const store = { get: async () => null, put: async () => {}, delete: async () => {} };
for (const [name, config] of [["secret, no store", { auth }], ["secret, a store", { auth: { ...auth, clientId: "11111111-2222-3333-4444-555555555556" }, cache: { store } }]]) {
  executed.clear();
  imports.clear();
  counting = true;
  new ConfidentialClientApplication(config);
  counting = false;
  const indices = [...executed].map((id) => byEntry.get(id)).filter((i) => i !== undefined);
  const bytes = indices.reduce((sum, i) => sum + plain[i].size, 0);
  const calls = [...imports.values()].reduce((a, b) => a + b, 0);
  console.log(`| ${name} | ${indices.length} | ${bytes} | ${imports.size} | ${calls} |`);
}
rmSync(dir, { recursive: true, force: true });
