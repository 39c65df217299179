// Azure SDK and Graph SDK clients as real callers of entra-edge's credentials, in a process
// started with NODE_EXTRA_CA_CERTS (Node 20 trusts a test CA only from that variable, read at
// startup). One scenario per run, chosen by argv[2]; the settings come as JSON in argv[3]; the
// outcome is printed as one JSON line.
import { createRequire } from "node:module";
import { ClientSecretCredential, ConfidentialClientApplication } from "entra-edge";

const [scenario, settingsJson] = process.argv.slice(2);
const settings = JSON.parse(settingsJson);
const scenarios = {
  /** @azure/storage-blob against Azurite: a container, a blob up and down, a listing; then a second client. */
  async blob({ azuriteUrl, authorityHost, tenantId, clientId, clientSecret }) {
    const { BlobServiceClient } = await import("@azure/storage-blob");
    const calls = [];
    const credential = new ClientSecretCredential(tenantId, clientId, clientSecret, { authorityHost });
    const counted = { getToken: (scopes, options) => (calls.push({ scopes, enableCae: options?.enableCae ?? false }), credential.getToken(scopes, options)) };
    const container = new BlobServiceClient(azuriteUrl, counted).getContainerClient(`entra-edge-${Date.now()}`);
    await container.create();
    await container.getBlockBlobClient("hello.txt").upload("hello from entra-edge", 21);
    const downloaded = await container.getBlockBlobClient("hello.txt").downloadToBuffer();
    const names = [];
    for await (const blob of container.listBlobsFlat()) names.push(blob.name);
    // A second client caches nothing yet: the credential's own cache answers it.
    const again = new BlobServiceClient(azuriteUrl, counted).getContainerClient(container.containerName);
    const exists = await again.exists();
    return { text: downloaded.toString(), names, exists, calls };
  },

  /** @microsoft/microsoft-graph-client with its TokenCredentialAuthenticationProvider. */
  async graph({ graphUrl, tokenEndpoint, clientId, clientSecret }) {
    const require = createRequire(import.meta.url);
    const { Client } = require("@microsoft/microsoft-graph-client");
    const { TokenCredentialAuthenticationProvider } = require("@microsoft/microsoft-graph-client/authProviders/azureTokenCredentials");
    const app = new ConfidentialClientApplication({ auth: { clientId, tokenEndpoint, clientSecret } });
    const calls = [];
    const credential = app.asTokenCredential();
    const counted = { getToken: (scopes, options) => (calls.push({ scopes }), credential.getToken(scopes, options)) };
    const authProvider = new TokenCredentialAuthenticationProvider(counted, { scopes: ["User.Read.All"] });
    const client = Client.initWithMiddleware({ authProvider, baseUrl: graphUrl, customHosts: new Set(["127.0.0.1"]) });
    const first = await client.api("/users").top(2).get();
    const second = await client.api("/users").get();
    return { first: first.value.map((u) => u.displayName), second: second.value.length, calls };
  },

  /** The Azure SDK's bearer policy meeting a CAE claims challenge: it calls getToken with the claims. */
  async challenge({ apiUrl, authorityHost, tenantId, clientId, clientSecret }) {
    const { bearerTokenAuthenticationPolicy, createEmptyPipeline, createHttpHeaders, createPipelineRequest, createDefaultHttpClient } = await import("@azure/core-rest-pipeline");
    const calls = [];
    const credential = new ClientSecretCredential(tenantId, clientId, clientSecret, { authorityHost });
    const counted = { getToken: (scopes, options) => (calls.push({ claims: options?.claims ?? null, enableCae: options?.enableCae ?? false }), credential.getToken(scopes, options)) };
    const pipeline = createEmptyPipeline();
    pipeline.addPolicy(bearerTokenAuthenticationPolicy({ credential: counted, scopes: "https://storage.azure.com/.default" }));
    const request = createPipelineRequest({ url: `${apiUrl}/resource`, method: "GET", headers: createHttpHeaders() });
    const response = await pipeline.sendRequest(createDefaultHttpClient(), request);
    return { status: response.status, body: response.bodyAsText, calls };
  },
};

try {
  console.log(JSON.stringify({ ok: true, ...(await scenarios[scenario](settings)) }));
} catch (e) {
  console.log(JSON.stringify({ ok: false, error: String(e?.stack ?? e), code: e?.errorCode ?? e?.code }));
}
