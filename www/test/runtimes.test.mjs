// Issue 22: the packed package in Deno, Bun and Vercel's Edge runtime, each as a user gets it,
// with no configuration: a fresh project installs the tarball, and each runtime acquires tokens
// from a real OAuth server (oidc-provider) with a secret and with a certificate (PS256 through
// the runtime's WebCrypto). The runtimes are the npm packages `deno`, `bun` and `edge-runtime`
// (www/PINS.md). Node hosts them (child processes), so this file is Node only; the conformance
// suite itself also runs in Deno and Bun (scripts/test.sh).
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createPublicKey } from "node:crypto";
import { copyFile, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { decodeJwt } from "jose";
import { makeCertificate } from "./support/cert.mjs";
import { bundleForEdge, startEdge } from "./support/edge.mjs";
import { SECRET, startIdp } from "./support/idp.mjs";

const run = promisify(execFile);
const WWW = join(dirname(fileURLToPath(import.meta.url)), "..");
const BIN = join(WWW, "node_modules", ".bin");
const SCOPE = "users.read";

let idp;
let rsa;
let project;

before(async () => {
  rsa = await makeCertificate("rsa");
  const jwk = { ...createPublicKey(rsa.privateKey).export({ format: "jwk" }), alg: "PS256", use: "sig" };
  idp = await startIdp({
    clients: [{ client_id: "jwt-ps256", token_endpoint_auth_method: "private_key_jwt", token_endpoint_auth_signing_alg: "PS256", jwks: { keys: [jwk] } }],
  });
  const packDir = await mkdtemp(join(tmpdir(), "entra-edge-pack-"));
  const { stdout } = await run("npm", ["pack", "--json", "--pack-destination", packDir], { cwd: WWW });
  const [{ filename }] = JSON.parse(stdout);
  project = await mkdtemp(join(tmpdir(), "entra-edge-runtimes-"));
  await writeFile(join(project, "package.json"), JSON.stringify({ name: "user-project", private: true, type: "module" }));
  await run("npm", ["install", "--no-audit", "--no-fund", "--offline", join(packDir, filename)], { cwd: project });
  for (const file of ["probe.mjs", "probe-cli.mjs", "probe-edge.js"]) await copyFile(join(WWW, "test", "runtimes", file), join(project, file));
});
after(() => idp?.close());

const configs = {
  secret: () => ({ tokenEndpoint: idp.tokenEndpoint, clientId: "secret-post", clientSecret: SECRET, scope: SCOPE }),
  certificate: () => ({ tokenEndpoint: idp.tokenEndpoint, clientId: "jwt-ps256", privateKey: rsa.privateKey, thumbprintSha256: rsa.thumbprintSha256, scope: SCOPE }),
};

/** Runs `probe(config)` with `runReport`, and checks it as the identity provider saw it. */
async function checkProbe(kind, runReport) {
  const n = idp.requests.length;
  const report = await runReport(configs[kind]());
  assert.deepEqual(report.sources, ["identityProvider", "identityProvider", "memory"], JSON.stringify(report));
  assert.equal(report.shared, true, "the concurrent calls and the memory hit share one token");
  assert.equal(report.expiresOnIsDate, true);
  assert.deepEqual(report.badRequest, { authError: true, configError: true, errorCode: "empty_scopes" });
  const requests = idp.requests.slice(n);
  assert.equal(requests.length, 1, "two concurrent cold calls made one token request");
  assert.equal(requests[0].status, 200);
  const body = new URLSearchParams(requests[0].body);
  assert.equal(body.has("client_assertion"), kind === "certificate");
  assert.equal(decodeJwt(report.accessToken).aud, idp.audience, "the token oidc-provider issued");
}

async function runJson(command, args, options = {}) {
  const { stdout } = await run(command, args, { cwd: project, ...options });
  return JSON.parse(stdout.trim().split("\n").at(-1));
}

describe("Deno", () => {
  for (const kind of Object.keys(configs)) {
    test(`${kind}: import from "entra-edge" in a node_modules project, with --allow-net only`, () =>
      checkProbe(kind, (config) => runJson(join(BIN, "deno"), ["run", "--allow-net", "probe-cli.mjs", JSON.stringify(config)])));
  }

  test('npm:entra-edge resolves to the same entry, with --allow-net only', async () => {
    await writeFile(join(project, "npm-specifier.mjs"), `import { scopeForResource, DenoKvStore } from "npm:entra-edge";
      console.log(JSON.stringify([scopeForResource("https://database.windows.net/"), typeof DenoKvStore]));`);
    assert.deepEqual(await runJson(join(BIN, "deno"), ["run", "--allow-net", "npm-specifier.mjs"]), ["https://database.windows.net//.default", "function"]);
  });

  test("what Deno needs a permission for is named by Deno at construction", async () => {
    await writeFile(join(project, "permissions.mjs"), `import { ClientCertificateCredential, EnvironmentCredential } from "entra-edge";
      const messages = [];
      for (const make of [() => new ClientCertificateCredential("t", "c", "/etc/entra/cert.pem"), () => new EnvironmentCredential()]) {
        try { make(); messages.push("constructed"); } catch (e) { messages.push(e.message); }
      }
      console.log(JSON.stringify(messages));`);
    const [certificate, environment] = await runJson(join(BIN, "deno"), ["run", "--allow-net", "permissions.mjs"]);
    assert.match(certificate, /ClientCertificateCredential: the certificate file \/etc\/entra\/cert.pem could not be read \(.*--allow-read.*\)/);
    assert.match(environment, /--allow-env/);
  });
});

describe("Bun", () => {
  for (const kind of Object.keys(configs)) {
    test(`${kind}: import from "entra-edge" in a node_modules project`, () =>
      checkProbe(kind, (config) => runJson(join(BIN, "bun"), ["probe-cli.mjs", JSON.stringify(config)])));
  }
});

describe("Vercel's Edge runtime, bundled and hosted as Next.js does", () => {
  let bundle;
  const unhandled = [];
  const onUnhandled = (reason) => unhandled.push(reason);
  before(async () => {
    bundle = await bundleForEdge(join(project, "probe-edge.js"));
    process.on("unhandledRejection", onUnhandled);
  });
  after(() => process.off("unhandledRejection", onUnhandled));

  test("the edge-light entry is picked and its wasm is a ?module import", () => {
    assert.equal(bundle.bindings.size, 1, "one wasm binding, as Next's middleware manifest lists it");
    assert.doesNotMatch(bundle.code, /readFileSync|getBuiltinModule/, "no Node loader in the Edge bundle");
  });

  // Regression (issue 22): fetch and crypto.subtle answer with host-realm promises and the wasm
  // is a host-realm module; `instanceof` across realms made every acquisition "HTTP 0", made
  // certificates fail with "2nd argument is not of type CryptoKey" and left a rejection unhandled.
  for (const kind of Object.keys(configs)) {
    test(`${kind}: host-realm promises and module; nothing left unhandled`, async () => {
      const edge = await startEdge(bundle);
      await checkProbe(kind, async (config) => {
        const response = await edge.dispatchFetch("http://edge/probe", { method: "POST", body: JSON.stringify(config) });
        const report = await response.json();
        assert.equal(response.status, 200, JSON.stringify(report));
        return report;
      });
      // A rejection is reported after the microtasks it was created in: let the loop turn.
      await new Promise((resolve) => setImmediate(resolve));
      assert.deepEqual(unhandled, []);
    });
  }

  test("what the Edge runtime lacks (files) is said at construction, naming it and what to use; RedisStore is there", async () => {
    await writeFile(join(project, "lacks-edge.js"), `import { ClientCertificateCredential, EnvironmentCredential, WorkloadIdentityCredential, ManagedIdentityCredential, DefaultAzureCredential } from "entra-edge";
      import { FileStore, RedisStore } from "entra-edge/stores";
      addEventListener("fetch", (event) => {
        const messages = [];
        for (const make of [() => new ClientCertificateCredential("t", "c", { certificatePath: "/cert.pem" }), () => new EnvironmentCredential(), () => new WorkloadIdentityCredential(), () => new FileStore("/tmp"), () => new RedisStore({ get() {}, set() {}, del() {}, eval() {} }), () => new ManagedIdentityCredential(), () => new DefaultAzureCredential()]) {
          try { make(); messages.push("constructed"); } catch (e) { messages.push([e.name, e.errorCode, e.message]); }
        }
        event.respondWith(Response.json(messages));
      });`);
    const edge = await startEdge(await bundleForEdge(join(project, "lacks-edge.js")));
    const [certificate, environment, workload, fileStore, redisStore, managed, chain] = await (await edge.dispatchFetch("http://edge/")).json();
    assert.deepEqual(certificate.slice(0, 2), ["ClientConfigurationError", "invalid_certificate"]);
    assert.match(certificate[2], /cannot be read in Vercel's Edge runtime .*certificate: process\.env\.CERTIFICATE_PEM/);
    assert.deepEqual(environment, ["ClientConfigurationError", "unsupported_runtime", "EnvironmentCredential is not available in Vercel's Edge runtime: use new ClientSecretCredential(process.env.AZURE_TENANT_ID, process.env.AZURE_CLIENT_ID, process.env.AZURE_CLIENT_SECRET)"]);
    assert.equal(workload[1], "unsupported_runtime");
    assert.equal(fileStore[0], "TypeError");
    assert.match(fileStore[2], /^FileStore is not available in Vercel's Edge runtime \(no file system\): use RedisStore/);
    assert.equal(redisStore, "constructed", "RedisStore needs only its client");
    assert.deepEqual(managed, ["ClientConfigurationError", "unsupported_runtime", "ManagedIdentityCredential is not available in Vercel's Edge runtime: use ClientSecretCredential or ClientAssertionCredential"]);
    assert.equal(chain[1], "unsupported_runtime");
  });
});
