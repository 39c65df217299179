// A Worker calling Microsoft Graph through @microsoft/microsoft-graph-client, with entra-edge's
// credential behind its TokenCredentialAuthenticationProvider (tokens from TOKEN_ENDPOINT).
//   GET /users   the first users' display names
import { Client } from "@microsoft/microsoft-graph-client";
import { TokenCredentialAuthenticationProvider } from "@microsoft/microsoft-graph-client/authProviders/azureTokenCredentials";
import { ConfidentialClientApplication } from "entra-edge";

let client;

export default {
  async fetch(request, env) {
    if (!client) {
      const app = new ConfidentialClientApplication({ auth: { clientId: env.CLIENT_ID, tokenEndpoint: env.TOKEN_ENDPOINT, clientSecret: env.CLIENT_SECRET } });
      const authProvider = new TokenCredentialAuthenticationProvider(app.asTokenCredential(), { scopes: ["User.Read.All"] });
      client = Client.initWithMiddleware({ authProvider });
    }
    try {
      const users = await client.api("/users").top(2).get();
      return Response.json({ names: users.value.map((u) => u.displayName) });
    } catch (e) {
      return Response.json({ error: String(e?.stack ?? e) }, { status: 500 });
    }
  },
};
