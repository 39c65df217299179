// Azure Arc and Service Fabric, side by side: entra-edge's ManagedIdentityCredential next to
// @azure/identity's, cold getToken (a resource not asked for yet) against the same fakes
// (test/support/imds-fake.mjs) in another process. Arc's cold call is two requests and a key
// file read on both sides; Service Fabric's goes through this package's pinned node:https and
// through @azure/identity's pipeline (which trusts the test CA). Rounds alternate the two sides;
// medians of all rounds. Prints markdown rows. Run as root (the fake writes Arc's key files in
// /var/opt/azcmagent/tokens/, the only folder the clients accept), after scripts/build.sh:
//   node www/bench/arc-fabric.mjs
import { fork, spawn } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { fileURLToPath } from "node:url";

const SELF = fileURLToPath(import.meta.url);
const [, , role] = process.argv;

if (role === "server") {
  const { startManagedIdentityFake } = await import("../test/support/imds-fake.mjs");
  const tls = JSON.parse(process.env.BENCH_TLS);
  const fake = await startManagedIdentityFake({ tls });
  process.send(fake.env);
  process.on("disconnect", () => fake.close().then(() => process.exit(0)));
} else if (role === "measure") {
  const { ManagedIdentityCredential } = await import("entra-edge");
  const { ManagedIdentityCredential: AzureManaged } = await import("@azure/identity");
  const env = JSON.parse(process.env.BENCH_ENV);
  const ROUNDS = 5;
  const PER_ROUND = 30;
  let fresh = 0;
  const resource = () => `https://cold-${fresh++}.example/.default`;
  const median = (xs) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  async function side(credential) {
    const out = [];
    for (let i = 0; i < PER_ROUND; i++) {
      const t = process.hrtime.bigint();
      await credential.getToken(resource());
      out.push(Number(process.hrtime.bigint() - t) / 1000);
    }
    return out;
  }
  for (const [name, vars] of [["Azure Arc", env.arc], ["Service Fabric", env.serviceFabric]]) {
    Object.assign(process.env, vars);
    // msal-node picks its source once per process (a static): a fresh pair per platform, after
    // the environment is set, and the other platform's variables removed.
    const edge = new ManagedIdentityCredential();
    const azure = new AzureManaged();
    await side(edge);
    await side(azure);
    const [e, a] = [[], []];
    for (let r = 0; r < ROUNDS; r++) {
      e.push(...(await side(edge)));
      a.push(...(await side(azure)));
    }
    const [em, am] = [median(e), median(a)];
    console.log(`| ${name}: getToken, cold (a resource not asked for yet), median of ${ROUNDS} alternating rounds | ${em.toFixed(1)} µs | ${am.toFixed(1)} µs | ${(am / em).toFixed(2)}x (@azure/identity's time / entra-edge's) |`);
    for (const v of Object.keys(vars)) delete process.env[v];
  }
} else {
  const { makeHttpsCertificate } = await import("../test/support/https.mjs");
  const cert = await makeHttpsCertificate();
  const thumbprint = new X509Certificate(cert.certPem).fingerprint.replaceAll(":", "");
  const server = fork(SELF, ["server"], { env: { ...process.env, BENCH_TLS: JSON.stringify({ cert: cert.certPem, key: cert.keyPem, thumbprint }) } });
  const env = await new Promise((resolve) => server.once("message", resolve));
  const child = spawn(process.execPath, [SELF, "measure"], { stdio: "inherit", env: { ...process.env, BENCH_ENV: JSON.stringify(env), NODE_EXTRA_CA_CERTS: cert.caFile } });
  await new Promise((resolve) => child.once("exit", resolve));
  server.disconnect();
  await cert.cleanup();
}
