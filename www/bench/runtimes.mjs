// Issue 22's benchmark: per runtime (Node, Deno, Bun, Vercel's Edge runtime), in one run, the
// figures of bench/runtime-probe.mjs against the out-of-process token server. Prints a markdown
// table (BENCHMARKS.md holds the latest). Run with
//   node www/bench/runtimes.mjs      (after scripts/build.sh)
import { execFile, fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { bundleForEdge, startEdge } from "../test/support/edge.mjs";

const run = promisify(execFile);
const here = (path) => fileURLToPath(new URL(path, import.meta.url));
const BIN = here("../node_modules/.bin/");

const tokenServer = fork(here("./token-server.mjs"));
const tokenServerUrl = await new Promise((resolve) => tokenServer.once("message", resolve));
const config = JSON.stringify({ tokenEndpoint: `${tokenServerUrl}/token`, clientId: "bench", clientSecret: "bench-secret", scope: "api://bench/.default" });

const cli = async (command, args) => JSON.parse((await run(command, [...args, here("./runtime-cli.mjs"), config], { cwd: here("..") })).stdout.trim().split("\n").at(-1));
const runtimes = {
  [`Node ${process.version}`]: () => cli(process.execPath, []),
  [`Deno ${(await run(`${BIN}deno`, ["--version"])).stdout.split(" ")[1]}`]: () => cli(`${BIN}deno`, ["run", "--allow-net"]),
  [`Bun ${(await run(`${BIN}bun`, ["--version"])).stdout.trim()}`]: () => cli(`${BIN}bun`, []),
  "Edge runtime (edge-runtime 4.0.1)": async () => {
    const edge = await startEdge(await bundleForEdge(here("./runtime-edge.js")));
    return (await edge.dispatchFetch("http://edge/", { method: "POST", body: config })).json();
  },
};

const us = (x) => `${x.toFixed(1)} µs`;
console.log("| runtime | import + first client | memory hit, median | cold over a raw fetch: entra-edge, oauth4webapi | cold over a stub fetch: entra-edge, oauth4webapi | overhead ratio: network, stub |");
console.log("|---|---|---|---|---|---|");
for (const [name, measure] of Object.entries(runtimes)) {
  const r = await measure();
  const net = [r.edge - r.raw, r.oauth4webapi - r.raw];
  const cpu = [r.edgeCpu - r.stubbed, r.oauth4webapiCpu - r.stubbed];
  console.log(
    `| ${name} | ${(r.importAndClient / 1000).toFixed(2)} ms (oauth4webapi: ${(r.oauthImport / 1000).toFixed(2)} ms) | ${us(r.memoryHit)} | +${us(net[0])}, +${us(net[1])} (raw ${us(r.raw)}) | +${us(cpu[0])}, +${us(cpu[1])} | ${(net[0] / net[1]).toFixed(1)}x, ${(cpu[0] / cpu[1]).toFixed(1)}x |`,
  );
}
tokenServer.disconnect();
