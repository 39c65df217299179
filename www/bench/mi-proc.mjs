// One process of the managed-identity benchmark (fresh per run: msal-node picks its
// managed-identity source once per process). The environment points IMDS at the fake or at
// nothing. Prints one JSON line.
//   node mi-proc.mjs fleet-edge <redis socket> <calls>  : prints "ready", then on "go" the calls
//   node mi-proc.mjs fleet-azure - <calls>               : the same with @azure/identity
//   node mi-proc.mjs unavailable-edge | unavailable-azure: DefaultAzureCredential with nothing there
import { DefaultAzureCredential as AzureDefault, ManagedIdentityCredential as AzureManaged } from "@azure/identity";
import { DefaultAzureCredential, ManagedIdentityCredential } from "entra-edge";
import { RedisStore } from "entra-edge/stores";
import Redis from "ioredis";

const [mode, socket, calls = "100"] = process.argv.slice(2);
const STORAGE = "https://storage.azure.com/.default";
const say = (o) => console.log(JSON.stringify(o));

if (mode.startsWith("unavailable")) {
  const credential = mode === "unavailable-edge" ? new DefaultAzureCredential() : new AzureDefault();
  const started = performance.now();
  const error = await credential.getToken(STORAGE).then(() => null, (e) => e);
  say({ ms: performance.now() - started, error: error?.name });
} else {
  let redis;
  let credential;
  if (mode === "fleet-edge") {
    redis = new Redis({ path: socket });
    credential = new ManagedIdentityCredential({ cache: { store: new RedisStore(redis), encryptionKey: "bench-fleet-sealing-key-0123456789" } });
  } else {
    credential = new AzureManaged();
  }
  say({ ready: true });
  process.stdin.once("data", async () => {
    await Promise.all(Array.from({ length: Number(calls) }, () => credential.getToken(STORAGE)));
    say({ done: true });
  });
  process.stdin.once("end", () => redis?.quit());
}
