// The runtime examples, run as their users run them: the Next.js middleware bundled and hosted
// as Next.js does (Edge runtime), and the Deno program with its documented permissions over a
// KV file, both against a real OAuth server (oidc-provider) and the Graph-like API. Node only
// as a host (child processes, edge-runtime inside Node).
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { bundleForEdge, startEdge } from "./support/edge.mjs";
import { startGraphFake } from "./support/graph-fake.mjs";
import { startIdp } from "./support/idp.mjs";

const run = promisify(execFile);
const DENO = fileURLToPath(new URL("../node_modules/.bin/deno", import.meta.url));
let idp;
let graph;
let env;
before(async () => {
  idp = await startIdp({ clients: [{ client_id: "example", client_secret: "example-secret-value", token_endpoint_auth_method: "client_secret_post" }] });
  graph = await startGraphFake({ jwksUri: idp.jwksUri, issuer: idp.issuer, audience: idp.audience });
  env = { CLIENT_ID: "example", CLIENT_SECRET: "example-secret-value", TOKEN_ENDPOINT: idp.tokenEndpoint, GRAPH_BASE: graph.url, SCOPE: "User.Read.All" };
});
after(() => Promise.all([idp.close(), graph.close()]));

test("the Next.js middleware example answers /api/users from Graph; the second request needs no token request", async () => {
  const edge = await startEdge(await bundleForEdge(fileURLToPath(new URL("./runtimes/next-middleware-edge.js", import.meta.url))), { env });
  const n = idp.requests.length;
  const first = await edge.dispatchFetch("http://app.local/api/users");
  assert.equal(first.status, 200);
  assert.deepEqual((await first.json()).users.slice(0, 3), ["Adele Vance", "Alex Wilber", "Megan Bowen"]);
  const second = await edge.dispatchFetch("http://app.local/api/users");
  assert.equal(second.status, 200);
  assert.equal(idp.requests.length - n, 1, "one token request for both");
  assert.equal((await edge.dispatchFetch("http://app.local/elsewhere")).status, 404, "only the matcher's path");
});

test("the Deno example lists users; a second process starts from the KV file", async () => {
  const dir = await mkdtemp(join(tmpdir(), "entra-edge-deno-example-"));
  const example = fileURLToPath(new URL("../examples/deno.ts", import.meta.url));
  const args = ["run", "--allow-net", "--allow-env", "--unstable-kv", `--allow-read=${dir}`, `--allow-write=${dir}`, example];
  const once = async () => (await run(DENO, args, { env: { ...process.env, ...env, TOKEN_KV: join(dir, "tokens.sqlite") } })).stdout;
  const n = idp.requests.length;
  assert.match(await once(), /^token from identityProvider; users: Adele Vance, /);
  assert.match(await once(), /^token from store; users: Adele Vance, /);
  assert.equal(idp.requests.length - n, 1);
});

test("the Deno example type-checks against the shipped types (deno check), DenoKvStore over a Deno.Kv and the stores' types included", async () => {
  const example = fileURLToPath(new URL("../examples/deno.ts", import.meta.url));
  const options = { env: { ...process.env, NO_COLOR: "1" } };
  const { stderr } = await run(DENO, ["check", example], options);
  assert.match(stderr, /^Check .*deno\.ts$/m);
  const stores = fileURLToPath(new URL("./runtimes/stores-types.ts", import.meta.url));
  await run(DENO, ["check", stores], options);
});
