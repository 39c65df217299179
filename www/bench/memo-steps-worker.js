// The steps of a memory hit in workerd, each alone (memo-hit-workerd.mjs times them from
// outside, N per dispatch, /noop subtracted): this build's memo.js, no wasm.
//   /step?name=<step>&n=N
import { hitCorrelationId, hitResult, isPlain, Memo } from "../src/memo.js";

const GRAPH = ["api://bench/.default"];
const memo = new Memo(10, () => {});
let entry;
let sink;

const steps = {
  noop: () => {},
  request: () => (sink = { scopes: GRAPH, skipCache: false, waitUntil: steps.noop }),
  lookup: () => (sink = memo.lookup({ scopes: GRAPH, skipCache: false, waitUntil: steps.noop })),
  isPlain: () => (sink = isPlain({ scopes: GRAPH, skipCache: false, waitUntil: steps.noop })),
  clock: () => (sink = { scopes: GRAPH, t: Date.now() }),
  correlationId: () => (sink = { scopes: GRAPH, id: hitCorrelationId() }),
  result: () => (sink = { scopes: GRAPH, r: hitResult(entry) }),
};

export default {
  async fetch(request) {
    if (entry === undefined) {
      // Made on the first request: workerd's clock and randomness are not for module scope.
      const now = Date.now();
      memo.remember({ key: "k", accessToken: "t", tokenType: "Bearer", expiresOn: now + 3.6e6, extExpiresOn: now + 3.6e6, refreshOn: null, scopes: GRAPH, tenantId: null, serveUntil: now + 3e6, issuedAt: now }, { scopes: GRAPH });
      entry = memo.lookup({ scopes: GRAPH });
    }
    const url = new URL(request.url);
    const name = url.searchParams.get("name");
    const n = Number(url.searchParams.get("n"));
    if (name === "promise") {
      for (let i = 0; i < n; i++) sink = await Promise.resolve({ scopes: GRAPH });
    } else {
      const step = steps[name];
      for (let i = 0; i < n; i++) step();
    }
    return new Response(sink === undefined ? "none" : "ok");
  },
};
