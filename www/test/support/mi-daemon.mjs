// A daemon on an Azure VM, as its own process: DefaultAzureCredential (resolving to the managed
// identity, whose IMDS is the fake named by AZURE_POD_IDENTITY_AUTHORITY_HOST) over a RedisStore
// on the socket in argv[2]. Reports on stdout, one JSON object a line; in fleet mode as the fleet
// protocol says (support/daemons.mjs).
//   node mi-daemon.mjs fleet <redis socket> <calls>   : `calls` concurrent getToken on "go"
//   node mi-daemon.mjs blob <azurite url>             : @azure/storage-blob with the credential
import { DefaultAzureCredential } from "entra-edge";
import { RedisStore } from "entra-edge/stores";

const [mode, target, calls = "1"] = process.argv.slice(2);
const say = (o) => process.stdout.write(`${JSON.stringify(o)}\n`);
const STORAGE = "https://storage.azure.com/.default";

if (mode === "fleet") {
  const { default: Redis } = await import("ioredis");
  const redis = new Redis({ path: target, lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null });
  redis.on("error", () => {});
  await redis.connect();
  // MI_DAEMON_LOG=1: every log line, with the time, to stderr (for finding out why a run differed).
  const system = process.env.MI_DAEMON_LOG ? { logger: (level, message) => process.stderr.write(`${Date.now()} ${process.pid} ${level} ${message}\n`) } : undefined;
  const credential = new DefaultAzureCredential({ cache: { store: new RedisStore(redis), encryptionKey: "fleet-shared-sealing-key-0123456789" }, ...(system ? { system } : {}) });
  say({ ready: true });
  process.stdin.once("data", async () => {
    try {
      const started = performance.now();
      const tokens = await Promise.all(Array.from({ length: Number(calls) }, () => credential.getToken(STORAGE)));
      say({ result: { tokens: [...new Set(tokens.map((t) => t.token))], ms: performance.now() - started } });
    } catch (e) {
      say({ error: { name: e.name, message: e.message } });
    }
  });
  process.stdin.once("end", () => redis.quit().catch(() => redis.disconnect()));
} else {
  const { BlobServiceClient } = await import("@azure/storage-blob");
  try {
    const credential = new DefaultAzureCredential();
    const container = new BlobServiceClient(target, credential).getContainerClient(`entra-edge-mi-${Date.now()}`);
    await container.create();
    await container.getBlockBlobClient("hello.txt").upload("hello from a managed identity", 29);
    const text = (await container.getBlockBlobClient("hello.txt").downloadToBuffer()).toString();
    const exists = await new BlobServiceClient(target, credential).getContainerClient(container.containerName).exists();
    say({ text, exists });
  } catch (e) {
    say({ error: { name: e.name, message: e.message } });
  }
}
