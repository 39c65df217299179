// The packed package as users get it: `npm pack`, installed into fresh projects, then used
// from CommonJS, ESM, TypeScript (strict, against the shipped .d.ts) and a Worker bundled by
// `wrangler deploy --dry-run` with no configuration beyond wrangler.toml.
// Node only (npm pack, child processes); the other runtimes' projects are runtimes.test.mjs.
import { before, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, readFile, writeFile, mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);
const WWW = join(dirname(fileURLToPath(import.meta.url)), "..");
const BIN = join(WWW, "node_modules", ".bin");
let project;

before(async () => {
  const packDir = await mkdtemp(join(tmpdir(), "entra-edge-pack-"));
  const { stdout } = await run("npm", ["pack", "--json", "--pack-destination", packDir], { cwd: WWW });
  const [{ filename, files }] = JSON.parse(stdout);
  const shipped = files.map((f) => f.path).sort();
  assert.ok(shipped.includes("dist/entra_edge_bg.wasm") && shipped.includes("LICENSE"), shipped.join(" "));
  assert.ok(!shipped.some((f) => f.startsWith("src/") || f.startsWith("test/")), "only dist, LICENSE, README, package.json");
  project = await mkdtemp(join(tmpdir(), "entra-edge-user-"));
  await writeFile(join(project, "package.json"), JSON.stringify({ name: "user-project", private: true }));
  await run("npm", ["install", "--no-audit", "--no-fund", "--offline", join(packDir, filename)], { cwd: project });
  // @azure/core-auth's types for the TokenCredential check, as the dev dependencies have them.
  await run("ln", ["-s", join(WWW, "node_modules", "@azure"), join(project, "node_modules", "@azure")]);
});

test("the Node bundles load no Node module at import: each is fetched on first use", async () => {
  // An ESM import of node:https and node:tls (Service Fabric) and node:fs (Azure Arc) cost every
  // daemon about 15 ms of startup, for sources most never use (BENCHMARKS.md, issue 24).
  for (const file of ["node.mjs", "node.cjs"]) {
    const code = await readFile(join(project, "node_modules", "entra-edge", "dist", file), "utf8");
    const loaded = code.match(/^import [^;]*from ["']node:[^"']+["']|\brequire\(["']node:(?!url)[^"']+["']\)/gm) ?? [];
    assert.deepEqual(loaded, [], file);
  }
});

test("CommonJS require", async () => {
  const script = `const { ConfidentialClientApplication, ClientConfigurationError, scopeForResource } = require("entra-edge");
    const { FileStore } = require("entra-edge/stores");
    try { new ConfidentialClientApplication({ auth: { clientId: "c", authority: "https://login.microsoftonline.com/common", clientSecret: "s" } }); }
    catch (e) { console.log(e instanceof ClientConfigurationError, e.errorCode, scopeForResource("https://x/"), typeof FileStore); }`;
  await writeFile(join(project, "cjs.cjs"), script);
  const { stdout } = await run("node", ["cjs.cjs"], { cwd: project });
  assert.equal(stdout.trim(), "true tenant_required https://x//.default function");
});

test("ESM import", async () => {
  const script = `import { ConfidentialClientApplication, AuthError } from "entra-edge";
    const app = new ConfidentialClientApplication({ auth: { clientId: "c", authority: "https://login.microsoftonline.com/contoso.com", clientSecret: "s" } });
    const e = await app.acquireTokenByClientCredential({ scopes: [] }).catch((e) => e);
    console.log(e instanceof AuthError, e.errorCode);`;
  await writeFile(join(project, "esm.mjs"), script);
  const { stdout } = await run("node", ["esm.mjs"], { cwd: project });
  assert.equal(stdout.trim(), "true empty_scopes");
});

test("TypeScript strict against the shipped types", async () => {
  const source = `import { ConfidentialClientApplication, ServerError, type AuthenticationResult, type KvLike } from "entra-edge";
    import { FileStore } from "entra-edge/stores";
    const store: KvLike = new FileStore("/tmp/x");
    const app = new ConfidentialClientApplication({ auth: { clientId: "c", authority: "https://login.microsoftonline.com/t", clientSecret: "s" }, cache: { store } });
    export async function token(): Promise<string> {
      try {
        const r: AuthenticationResult = await app.acquireTokenForClient({ scopes: ["https://graph.microsoft.com/.default"] });
        const source: "identityProvider" | "memory" | "store" = r.tokenSource;
        return r.accessToken + source + r.expiresOn.toISOString();
      } catch (e) {
        if (e instanceof ServerError) return String(e.errorCodes[0] ?? e.status);
        throw e;
      }
    }`;
  await writeFile(join(project, "index.ts"), source);
  await writeFile(join(project, "tsconfig.json"), JSON.stringify({ compilerOptions: { strict: true, noEmit: true, module: "nodenext", moduleResolution: "nodenext", target: "es2022", skipLibCheck: false, types: [] }, files: ["index.ts"] }));
  await run(join(BIN, "tsc"), ["-p", project], { cwd: project });
});

test("the credentials are @azure/core-auth TokenCredentials (tsc --strict)", async () => {
  const source = `import type { TokenCredential, AccessToken } from "@azure/core-auth";
    import { ClientSecretCredential, ClientCertificateCredential, ClientAssertionCredential, WorkloadIdentityCredential, EnvironmentCredential, ConfidentialClientApplication, ManagedIdentityCredential, DefaultAzureCredential, ChainedTokenCredential, AzureCliCredential, getBearerTokenProvider, CredentialUnavailableError, AuthError } from "entra-edge";
    const app = new ConfidentialClientApplication({ auth: { clientId: "c", authority: "https://login.microsoftonline.com/t", clientSecret: "s" } });
    const credentials: TokenCredential[] = [
      new ClientSecretCredential("t", "c", "s", { authorityHost: "https://login.microsoftonline.us", additionallyAllowedTenants: ["*"] }),
      new ClientCertificateCredential("t", "c", { certificate: "PEM" }, { sendCertificateChain: true }),
      new ClientAssertionCredential("t", "c", async () => "jwt"),
      new WorkloadIdentityCredential(),
      new EnvironmentCredential(),
      app.asTokenCredential(),
      new ManagedIdentityCredential(),
      new ManagedIdentityCredential("client-id", { system: { timeoutMs: 1000 } }),
      new ManagedIdentityCredential({ resourceId: "/subscriptions/s" }),
      new DefaultAzureCredential({ managedIdentityClientId: "c" }),
      new AzureCliCredential({ tenantId: "t" }),
    ];
    const chain: TokenCredential = new ChainedTokenCredential(...credentials);
    const provider: () => Promise<string> = getBearerTokenProvider(chain, "https://storage.azure.com/.default");
    const unavailable: AuthError = new CredentialUnavailableError();
    void provider; void unavailable;
    export async function token(c: TokenCredential): Promise<number> {
      const t: AccessToken | null = await c.getToken("https://storage.azure.com/.default", { enableCae: true, claims: "{}", tenantId: "t2" });
      return (t?.expiresOnTimestamp ?? 0) + (t?.refreshAfterTimestamp ?? 0) + credentials.length;
    }`;
  await writeFile(join(project, "credential.ts"), source);
  await writeFile(join(project, "tsconfig.credential.json"), JSON.stringify({ compilerOptions: { strict: true, noEmit: true, module: "nodenext", moduleResolution: "nodenext", target: "es2022", skipLibCheck: false, types: [] }, files: ["credential.ts"] }));
  await run(join(BIN, "tsc"), ["-p", join(project, "tsconfig.credential.json")], { cwd: project });
});

test("a Worker project bundled by wrangler deploy --dry-run", async () => {
  const worker = join(project, "worker");
  await mkdir(join(worker, "src"), { recursive: true });
  await writeFile(join(worker, "package.json"), JSON.stringify({ name: "w", private: true }));
  await writeFile(join(worker, "wrangler.toml"), `name = "w"\nmain = "src/index.js"\ncompatibility_date = "2026-04-01"\n`);
  await writeFile(join(worker, "src", "index.js"), `import { ConfidentialClientApplication } from "entra-edge";
    export default { async fetch(req, env) { return new Response(typeof ConfidentialClientApplication); } };`);
  await run("ln", ["-s", join(project, "node_modules"), join(worker, "node_modules")]);
  const out = join(worker, "out");
  await run(join(BIN, "wrangler"), ["deploy", "--dry-run", "--outdir", out], { cwd: worker, env: { ...process.env, WRANGLER_SEND_METRICS: "false", CI: "true" } });
  const bundled = await readFile(join(out, "index.js"), "utf8");
  assert.match(bundled, /\.wasm/);
  assert.ok(!bundled.includes("node:fs"), "the workerd entry was chosen, not the Node one");
});

test("a Worker importing the Node-only managed-identity classes fails when bundled, naming the class", async () => {
  const worker = join(project, "worker-mi");
  await mkdir(join(worker, "src"), { recursive: true });
  await writeFile(join(worker, "package.json"), JSON.stringify({ name: "w", private: true }));
  await writeFile(join(worker, "wrangler.toml"), `name = "w"\nmain = "src/index.js"\ncompatibility_date = "2026-04-01"\n`);
  await writeFile(join(worker, "src", "index.js"), `import { ManagedIdentityCredential } from "entra-edge";
    export default { async fetch() { return new Response(typeof ManagedIdentityCredential); } };`);
  await run("ln", ["-s", join(project, "node_modules"), join(worker, "node_modules")]);
  const failed = await run(join(BIN, "wrangler"), ["deploy", "--dry-run", "--outdir", join(worker, "out")], { cwd: worker, env: { ...process.env, WRANGLER_SEND_METRICS: "false", CI: "true" } }).then(
    () => null,
    (e) => e,
  );
  assert.ok(failed, "the bundle was refused");
  assert.match(`${failed.stdout ?? ""}${failed.stderr ?? ""}${failed.message}`, /No matching export .* for import "ManagedIdentityCredential"/);
});
