// @azure/identity's own ManagedIdentityCredential, one getToken per process: msal-node chooses
// the managed-identity source once per process (a static), so each platform needs a fresh one.
// The environment points it at a fake; argv[2] is the constructor's options as JSON; the outcome
// is printed as one JSON line.
import { ManagedIdentityCredential } from "@azure/identity";

const options = JSON.parse(process.argv[2] ?? "{}");
try {
  const token = await new ManagedIdentityCredential(options).getToken(process.argv[3] ?? "https://storage.azure.com/.default");
  console.log(JSON.stringify({ token: token?.token ?? null, expiresOnTimestamp: token?.expiresOnTimestamp }));
} catch (e) {
  console.log(JSON.stringify({ error: e.name, message: e.message }));
}
