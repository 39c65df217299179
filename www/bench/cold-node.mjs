// The cold acquisition in Node, side by side (issue 24's "no worse" goal): this build next to
// another build of the package (its dist/node.mjs, "before"), against the token endpoint in its
// own process (token-server.mjs), next to a raw fetch of the same request (the floor).
// Alternated rounds of 100 awaited `skipCache` acquisitions each; medians per call; the
// overhead is the median minus the raw fetch's.
//   node www/bench/cold-node.mjs [before: path to another build's dist/node.mjs] [rounds]
import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import * as after from "entra-edge";

const before = process.argv[2] ? await import(new URL(process.argv[2], `file://${process.cwd()}/`).href) : null;
const ROUNDS = Number(process.argv[3] ?? 15);
const PER_ROUND = 100;
const GRAPH = ["https://graph.microsoft.com/.default"];
const TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47";

const server = fork(fileURLToPath(new URL("./token-server.mjs", import.meta.url)));
const tokenServerUrl = await new Promise((resolve) => server.once("message", resolve));
const url = `${tokenServerUrl}/${TENANT}/oauth2/v2.0/token`;
const form = new URLSearchParams({ grant_type: "client_credentials", scope: GRAPH[0], client_id: "bench", client_secret: "bench-secret" }).toString();

const contenders = [["raw fetch", async () => (await fetch(url, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: form })).json()]];
for (const [name, pkg] of before ? [["before", before], ["after", after]] : [["this build", after]]) {
  const app = new pkg.ConfidentialClientApplication({ auth: { clientId: "bench", authority: `${tokenServerUrl}/${TENANT}`, clientSecret: "bench-secret" } });
  contenders.push([name, () => app.acquireTokenByClientCredential({ scopes: GRAPH, skipCache: true })]);
}

const samples = contenders.map(() => []);
for (let round = 0; round <= ROUNDS; round++) {
  for (const [i, [, fn]] of contenders.entries()) {
    for (let k = 0; k < PER_ROUND; k++) {
      const t = process.hrtime.bigint();
      await fn();
      // The first round warms every contender up.
      if (round > 0) samples[i].push(Number(process.hrtime.bigint() - t) / 1000);
    }
  }
}
server.disconnect();

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const raw = median(samples[0]);
console.log(`Node ${process.version}, ${ROUNDS} alternated rounds of ${PER_ROUND}, medians per call\n`);
console.log("| | cold acquisition | over the raw fetch |");
console.log("|---|---|---|");
for (const [i, [name]] of contenders.entries()) {
  const m = median(samples[i]);
  console.log(`| ${name} | ${m.toFixed(0)} µs | ${i === 0 ? "" : `+${(m - raw).toFixed(0)} µs`} |`);
}
