// Node (ESM, and CommonJS after the build's transform): the wasm file sits next to this bundle
// and is read synchronously on first use. node:fs is fetched then with getBuiltinModule, not
// imported: an ESM import of node:fs loads its stream classes too, 3.4 ms of every startup.
import { setModuleLoader } from "./loader.js";

setModuleLoader(() => {
  const { readFileSync } = process.getBuiltinModule("node:fs");
  return new WebAssembly.Module(readFileSync(new URL("./entra_edge_bg.wasm", import.meta.url)));
});

export * from "./client.js";
