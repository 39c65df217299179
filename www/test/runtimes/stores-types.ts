// Type-checked by `deno check` (examples-runtimes.test.mjs): the stores' declarations resolve in
// Deno, which does not map "./index.js" to "./index.d.ts" as tsc does.
import type { KvLike } from "entra-edge";
import { FileStore } from "entra-edge/stores";

export const store: KvLike = new FileStore("/tmp/entra-edge-tokens");
