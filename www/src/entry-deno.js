// Deno 2 (the `deno` export condition: `npm:entra-edge` and node_modules projects). The Node
// entry's exports, but the wasm arrives as a compiled module through a source-phase import, not
// a file read: a program needs only --allow-net (plus --allow-env / --allow-read for the
// credentials that read them, and --unstable-kv with the KV file's access for DenoKvStore).
import source wasmModule from "./entra_edge_bg.wasm";
import { setModuleLoader } from "./loader.js";

// entry-node.js registered its file loader when it was evaluated, before this line: replaced.
setModuleLoader(() => wasmModule);

export * from "./entry-node.js";
export { DenoKvStore } from "./stores/deno-kv-store.js";
