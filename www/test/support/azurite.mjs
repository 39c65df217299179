// Azurite's blob service as a child process: loopback, an OS-assigned port, HTTPS with a test CA
// (Azurite accepts OAuth only over HTTPS) and `--oauth basic`, which checks a bearer token's
// issuer (https://sts.windows.net/<tenant>/ and the other Entra prefixes), audience
// (https://storage.azure.com and the account URL forms) and nbf/iat/exp (all three must be
// present) but not its signature. In memory, no telemetry; stop() never hangs.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { rmSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { makeHttpsCertificate } from "./https.mjs";

const require = createRequire(import.meta.url);
// The `azurite-blob` bin of the azurite package.
const BLOB_MAIN = join(dirname(require.resolve("azurite/package.json")), "dist", "src", "blob", "main.js");
const ACCOUNT = "devstoreaccount1";
const LISTENING = /successfully listens on https:\/\/127\.0\.0\.1:(\d+)/;
// Give up (and kill the child) if it is not listening after this long.
const START_TIMEOUT_MS = 20_000;

/**
 * @returns {Promise<{ url: string, caFile: string, caPem: string, stop: () => Promise<void> }>}
 *   url is "https://127.0.0.1:<port>/devstoreaccount1"; trust caFile with NODE_EXTRA_CA_CERTS.
 */
export async function startAzurite() {
  const tls = await makeHttpsCertificate();
  // Azurite's working folder (it may write a telemetry/config file there even in memory mode).
  const cwd = await mkdtemp(join(tmpdir(), "entra-edge-azurite-"));
  const args = [
    BLOB_MAIN,
    "--blobHost", "127.0.0.1",
    "--blobPort", "0",
    "--oauth", "basic",
    "--cert", tls.certFile,
    "--key", tls.keyFile,
    "--inMemoryPersistence",
    "--skipApiVersionCheck",
    "--disableTelemetry",
    "--silent",
  ];
  const child = spawn(process.execPath, args, { cwd, stdio: ["ignore", "pipe", "pipe"] });
  const exited = once(child, "exit").catch(() => {});
  // If this process ends without stop(), do not leave Azurite (or its temp folders) behind.
  const killOnExit = () => {
    child.kill("SIGKILL");
    for (const dir of [cwd, tls.dir]) rmSync(dir, { recursive: true, force: true });
  };
  process.once("exit", killOnExit);
  let output = "";
  let started = false;

  let stopped;
  const stop = () =>
    (stopped ??= (async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        // Azurite exits on SIGTERM (about 30 ms here); SIGKILL if it has not within 2 s.
        const timer = setTimeout(() => child.kill("SIGKILL"), 2_000);
        await exited;
        clearTimeout(timer);
      }
      await Promise.all([tls.cleanup(), rm(cwd, { recursive: true, force: true })]);
      process.off("exit", killOnExit);
    })());

  try {
    const port = await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`Azurite did not start within ${START_TIMEOUT_MS} ms:\n${output}`)), START_TIMEOUT_MS);
      const onData = (chunk) => {
        if (started) return;
        output += chunk;
        const match = LISTENING.exec(output);
        if (match) {
          started = true;
          clearTimeout(timer);
          resolve(Number(match[1]));
        }
      };
      child.stdout.setEncoding("utf8").on("data", onData);
      child.stderr.setEncoding("utf8").on("data", onData);
      child.once("error", (e) => {
        clearTimeout(timer);
        reject(e);
      });
      child.once("exit", (code, signal) => {
        clearTimeout(timer);
        if (!started) reject(new Error(`Azurite exited (${signal ?? code}) before listening:\n${output}`));
      });
    });
    // Keep draining the pipes so a chatty child never blocks on a full buffer, but let this
    // process end without stop() (the exit hook then kills the child).
    child.stdout.resume();
    child.stderr.resume();
    child.unref();
    child.stdout.unref();
    child.stderr.unref();
    return { url: `https://127.0.0.1:${port}/${ACCOUNT}`, caFile: tls.caFile, caPem: tls.caPem, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
