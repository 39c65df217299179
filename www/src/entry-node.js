// Node (ESM, and CommonJS after the build's transform): the wasm file sits next to this bundle
// and is read synchronously on first use.
import { readFileSync } from "node:fs";
import { setModuleLoader } from "./loader.js";

setModuleLoader(() => new WebAssembly.Module(readFileSync(new URL("./entra_edge_bg.wasm", import.meta.url))));

export * from "./client.js";
