// Azure Arc's managed identity (issue 21). The Arc agent (himds) cannot run here:
// support/imds-fake.mjs fakes it from Azure's docs. Without a key the fake writes a fresh key
// file and answers 401 `WWW-Authenticate: Basic realm=<file>`; the file's content as
// `Authorization: Basic <content>` gets the token once. The fake is checked with the real
// client: the same test runs @azure/identity's own ManagedIdentityCredential against it and
// must get a token. A fleet of daemon processes shares one challenge through a real redis-server.
//
// The key files live where the real agent writes them, /var/opt/azcmagent/tokens/: that is the
// only folder the clients accept on Linux, and neither msal-node nor MSAL.NET (nor this package)
// lets anything point them at another, by design (a realm elsewhere is the attack the rule
// stops). So these tests write there: they run as root, as CI does, and are skipped with that
// reason otherwise. The folder rules themselves are also tested natively without any disk
// (tests/managed_identity_arc.rs).
import { after, afterEach, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFile, spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { constants } from "node:fs";
import { access, mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import http from "node:http";
import { decodeJwt } from "jose";
import { CredentialUnavailableError, DefaultAzureCredential, ManagedIdentityCredential, NetworkError } from "entra-edge";
import { ARC_FOLDER, SYSTEM, startManagedIdentityFake } from "./support/imds-fake.mjs";
import { closeServer, listen } from "./support/listen.mjs";
import { startDaemons } from "./support/daemons.mjs";
import { startRedis } from "./support/redis.mjs";
import { until } from "./support/until.mjs";
import { azureIdentityToken, restoreEnv, setEnv } from "./support/mi-env.mjs";

const STORAGE = "https://storage.azure.com/.default";
const writable = await mkdir(ARC_FOLDER, { recursive: true, mode: 0o700 })
  .then(() => access(ARC_FOLDER, constants.W_OK))
  .then(() => process.platform === "linux", () => false);
const skip = writable ? false : `needs write access to ${ARC_FOLDER} on Linux (the only folder the Arc clients accept): run as root, as CI does`;

let fake;
let outside; // a folder outside the agent's, with a secret file in it
const SECRET_CONTENT = "TOP-SECRET-not-an-arc-key";
const ours = []; // files these tests put in the agent's folder

before(async () => {
  fake = await startManagedIdentityFake();
  outside = await mkdtemp(join(tmpdir(), "entra-edge-arc-"));
  await writeFile(join(outside, "secret.key"), SECRET_CONTENT);
});
after(async () => {
  restoreEnv();
  await fake.close();
  await rm(outside, { recursive: true, force: true });
  await Promise.all(ours.map((path) => rm(path, { force: true })));
});
afterEach(() => setEnv());

/** A credential for the fake agent, logging into `lines`. */
function credential(lines = [], system = {}) {
  return new ManagedIdentityCredential({ system: { maxRetries: 0, logger: (level, message) => lines.push(`${level}: ${message}`), ...system } });
}

describe("Azure Arc, checked with @azure/identity", { skip }, () => {
  test("401 names a key file; its content sent once as Basic gets the token; @azure/identity gets one from the same fake", async () => {
    setEnv(fake.env.arc);
    await azureIdentityToken();
    const theirRequests = fake.tokenRequests("arc").slice(-2);
    assert.equal(theirRequests[0].headers.authorization, undefined);
    assert.match(theirRequests[1].headers.authorization, /^Basic [0-9a-f]{64}$/);

    const before = fake.tokenRequests("arc").length;
    const lines = [];
    const mi = credential(lines);
    const token = await mi.getToken(STORAGE);
    const claims = decodeJwt(token.token);
    assert.equal(claims.aud, "https://storage.azure.com");
    assert.equal(claims.appid, SYSTEM.clientId);
    const [first, second] = fake.tokenRequests("arc").slice(before);
    assert.equal(fake.tokenRequests("arc").length, before + 2);
    assert.equal(first.headers.authorization, undefined, "the first request carries no key");
    assert.equal(first.headers.metadata, "true");
    assert.equal(first.query["api-version"], "2019-11-01");
    assert.equal(first.query.resource, "https://storage.azure.com");
    assert.match(second.headers.authorization, /^Basic [0-9a-f]{64}$/);
    assert.deepEqual(second.query, first.query);
    assert.deepEqual(fake.arcKeyFiles(), [], "the key was used");
    const key = second.headers.authorization.slice("Basic ".length);
    assert.ok(lines.every((l) => !l.includes(key) && !l.includes(ARC_FOLDER)), "no key or key file in the log");

    await mi.getToken(STORAGE);
    assert.equal(fake.tokenRequests("arc").length, before + 2, "a memory hit asks nothing");
  });

  test("DefaultAzureCredential on an Arc-enabled server uses the agent", async () => {
    setEnv(fake.env.arc);
    const before = fake.tokenRequests("arc").length;
    const token = await new DefaultAzureCredential({ system: { maxRetries: 0 } }).getToken(STORAGE);
    assert.equal(decodeJwt(token.token).appid, SYSTEM.clientId);
    assert.equal(fake.tokenRequests("arc").length, before + 2);
  });
});

// The agent found by its executable needs /opt/azcmagent/bin/himds and port 40342, which this
// machine's other processes must not see: a child in its own mount and network namespaces.
const namespaces = spawnSync("unshare", ["-m", "-n", "true"]).status === 0;
const isolated = skip || (namespaces ? false : "needs unshare -m -n (mount and network namespaces: root with CAP_SYS_ADMIN, as CI has)");

describe("Azure Arc found by its installed agent, without its variables (msal-node's detection)", { skip: isolated }, () => {
  test("himds installed, nothing set: both clients ask the agent at 127.0.0.1:40342 and get a token", async () => {
    const child = new URL("./support/arc-agent-child.mjs", import.meta.url).pathname;
    const script = `ip link set lo up && mount -t tmpfs tmpfs /opt && mkdir -p /opt/azcmagent/bin && touch /opt/azcmagent/bin/himds && exec "${process.execPath}" "${child}"`;
    const { stdout } = await promisify(execFile)("unshare", ["-m", "-n", "sh", "-c", script], { timeout: 50_000 });
    const outcome = JSON.parse(stdout.trim().split("\n").at(-1));
    assert.deepEqual(outcome.ours, { token: true }, JSON.stringify(outcome));
    assert.deepEqual(outcome.ourRequests.map((r) => r.keyed), [false, true]);
    assert.match(outcome.ourRequests[0].url, /^\/metadata\/identity\/oauth2\/token\?api-version=2019-11-01&resource=/);
    assert.equal(outcome.theirs.token, true, `@azure/identity: ${outcome.theirs.message}`);
    assert.deepEqual(outcome.theirRequests.map((r) => r.keyed), [false, true]);
  });
});

describe("Azure Arc in a fleet", { skip }, () => {
  test("4 daemon processes x 50 cold getToken over one redis-server: one challenge and one keyed request in all", async () => {
    const DAEMON = fileURLToPath(new URL("./support/mi-daemon.mjs", import.meta.url));
    const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(AZURE_|IDENTITY_|MSI_|IMDS_)/.test(k)));
    const redis = await startRedis();
    let fleet;
    try {
      const options = { env: { ...clean, PATH: "/nonexistent", ...fake.env.arc } };
      fleet = await startDaemons(Array.from({ length: 4 }, (_, i) => [process.execPath, [DAEMON, "fleet", redis.socket, "50"], `daemon-${i}`, options]));
      const before = fake.tokenRequests("arc").length;
      fleet.go();
      await until(() => fleet.daemons.every((d) => d.outcome), "every daemon has its tokens");
      const outcomes = fleet.daemons.map((d) => d.outcome);
      assert.deepEqual(outcomes.map((o) => o.error), Array(4).fill(undefined), JSON.stringify(outcomes));
      assert.equal(new Set(outcomes.flatMap((o) => o.result.tokens)).size, 1, "one token for the fleet");
      const sent = fake.tokenRequests("arc").slice(before);
      assert.deepEqual(sent.map((r) => r.headers.authorization === undefined), [true, false], "one challenge, one keyed request");
    } finally {
      fleet?.stop();
      await redis.stop();
    }
  });
});

describe("Azure Arc: bad challenges send nothing and name the rule", { skip }, () => {
  const rules = [
    ["a realm outside the agent's folder", async () => join(outside, "secret.key"), /not directly in the agent's folder \/var\/opt\/azcmagent\/tokens\/ \(rule: the realm must be a file in that folder/],
    ["a realm climbing out with ..", async () => `${ARC_FOLDER}../../../..${join(outside, "secret.key")}`, /not directly in the agent's folder/],
    [
      "a file not ending in .key",
      async () => {
        const path = `${ARC_FOLDER}${randomUUID()}.pem`;
        ours.push(path);
        await writeFile(path, "k");
        return path;
      },
      /does not end in \.key \(rule: the agent's key files are <name>\.key\)/,
    ],
    [
      "a key file larger than 4096 bytes",
      async () => {
        const path = `${ARC_FOLDER}${randomUUID()}.key`;
        ours.push(path);
        await writeFile(path, "k".repeat(4097));
        return path;
      },
      /is larger than 4096 bytes \(rule: a key file is at most 4096 bytes\); nothing was sent with it/,
    ],
    [
      "a symlink in the folder to a file elsewhere",
      async () => {
        const path = `${ARC_FOLDER}${randomUUID()}.key`;
        ours.push(path);
        await symlink(join(outside, "secret.key"), path);
        return path;
      },
      /is not a regular file \(rule: no symlink or folder\); nothing was sent with it/,
    ],
    ["a key file that does not exist", async () => `${ARC_FOLDER}${randomUUID()}.key`, /does not exist/],
  ];
  for (const [name, makeRealm, rule] of rules) {
    test(name, async () => {
      setEnv(fake.env.arc);
      const realm = await makeRealm();
      const before = fake.tokenRequests("arc").length;
      fake.script({ status: 401, headers: { "www-authenticate": `Basic realm=${realm}` }, body: "" });
      const lines = [];
      const error = await credential(lines).getToken(STORAGE).catch((e) => e);
      assert.ok(error instanceof CredentialUnavailableError, String(error));
      assert.match(error.message, rule);
      const sent = fake.tokenRequests("arc").slice(before);
      assert.equal(sent.length, 1, "no second request");
      assert.equal(sent[0].headers.authorization, undefined);
      for (const text of [error.message, ...lines]) {
        assert.ok(!text.includes(realm.split("/").at(-1)), `no path in: ${text}`);
        assert.ok(!text.includes(SECRET_CONTENT) && !text.includes("kkkk"), `no content in: ${text}`);
      }
    });
  }

  test("a 401 without WWW-Authenticate, or not Basic realm=", async () => {
    setEnv(fake.env.arc);
    for (const [headers, rule] of [
      [{}, /answered 401 without a WWW-Authenticate header, which must name its key file; no file was read and nothing was sent/],
      [{ "www-authenticate": `Bearer realm=${ARC_FOLDER}a.key` }, /answered 401 with a WWW-Authenticate header that is not Basic realm=<key file>/],
    ]) {
      fake.script({ status: 401, headers, body: "" });
      const error = await credential().getToken(STORAGE).catch((e) => e);
      assert.ok(error instanceof CredentialUnavailableError, String(error));
      assert.match(error.message, rule);
    }
  });

  test("a user-assigned id: refused before any request (Arc serves the machine's identity only)", async () => {
    setEnv(fake.env.arc);
    const before = fake.requests.length;
    const error = await new ManagedIdentityCredential("5c7b2a8e-1f3d-4e6a-b9c0-3d2e1f0a9b87").getToken(STORAGE).catch((e) => e);
    assert.ok(error instanceof CredentialUnavailableError, String(error));
    assert.equal(error.message, "ManagedIdentityCredential: Azure Arc serves only the machine's system-assigned identity; a user-assigned id cannot be used there: remove clientId, resourceId or objectId");
    assert.equal(fake.requests.length, before);
  });
});

describe("Azure Arc: the agent slow, hung, down", { skip }, () => {
  test("slow: answered within system.timeoutMs is a token", async () => {
    setEnv(fake.env.arc);
    fake.script({ delayMs: 300 });
    const token = await credential([], { timeoutMs: 5000 }).getToken(STORAGE);
    assert.ok(token.token);
  });

  test("hung: NetworkError (timeout) within system.timeoutMs, no key read", async () => {
    setEnv(fake.env.arc);
    fake.script("hang");
    const error = await credential([], { timeoutMs: 500 }).getToken(STORAGE).catch((e) => e);
    assert.ok(error instanceof NetworkError, String(error));
    assert.equal(error.errorCode, "timeout");
  });

  test("down: nothing listens at IDENTITY_ENDPOINT: NetworkError", async () => {
    const server = http.createServer();
    const closed = await listen(server);
    await closeServer(server);
    setEnv({ IDENTITY_ENDPOINT: `${closed}/arc/token`, IMDS_ENDPOINT: closed });
    const error = await credential().getToken(STORAGE).catch((e) => e);
    assert.ok(error instanceof NetworkError, String(error));
    assert.equal(error.errorCode, "fetch_failed");
  });

  test("wrong answer: the agent refuses the key it named: ServerError 401, not a loop", async () => {
    setEnv(fake.env.arc);
    const before = fake.tokenRequests("arc").length;
    const path = `${ARC_FOLDER}${randomUUID()}.key`;
    ours.push(path);
    await writeFile(path, "a-key-the-agent-does-not-know");
    fake.script({ status: 401, headers: { "www-authenticate": `Basic realm=${path}` }, body: "" });
    const error = await credential().getToken(STORAGE).catch((e) => e);
    assert.equal(error.name, "ServerError", String(error));
    assert.equal(error.status, 401);
    assert.equal(fake.tokenRequests("arc").length, before + 2);
    assert.ok(!error.message.includes("a-key-the-agent-does-not-know"));
  });
});
