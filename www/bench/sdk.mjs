// The Azure SDK credential, side by side: entra-edge's ClientSecretCredential next to
// @azure/identity's, against the same out-of-process token server. @azure/identity reaches it
// through an httpClient that answers its authority discovery locally and forwards token
// requests, so neither talks to anything but loopback.
import { ClientSecretCredential as IdentityCredential } from "@azure/identity";
import { createHttpHeaders } from "@azure/core-rest-pipeline";
import { ClientSecretCredential } from "entra-edge";
import { LOGIN, discovery } from "./msal-local.mjs";

const STORAGE = "https://storage.azure.com/.default";

/** @azure/identity's credential for `tenant`, its requests answered by `tokenServerUrl`. */
function identityCredential(tenant, clientId, secret, tokenServerUrl, options = {}) {
  const httpClient = {
    async sendRequest(request) {
      if (request.method === "GET") return { request, status: 200, headers: createHttpHeaders({ "content-type": "application/json" }), bodyAsText: JSON.stringify(discovery(request.url)) };
      const url = new URL(request.url);
      const res = await fetch(`${tokenServerUrl}${url.pathname}`, { method: "POST", headers: request.headers.toJSON(), body: request.body });
      return { request, status: res.status, headers: createHttpHeaders(Object.fromEntries(res.headers)), bodyAsText: await res.text() };
    },
  };
  return new IdentityCredential(tenant, clientId, secret, { authorityHost: LOGIN, disableInstanceDiscovery: true, httpClient, ...options });
}

/** Adds this section's rows: memory hit, cold, 1000 concurrent cold calls, installed size. */
export async function benchSdk({ row, timeEach, us, ratio, tokenServerUrl, tokenRequests, installedSize, packedSize, ids }) {
  const { tenant, clientId, secret } = ids;
  const edge = new ClientSecretCredential(tenant, clientId, secret, { authorityHost: tokenServerUrl });
  const identity = identityCredential(tenant, clientId, secret, tokenServerUrl);
  await edge.getToken(STORAGE);
  await identity.getToken(STORAGE);
  const [eHit, iHit] = [await timeEach(5000, () => edge.getToken(STORAGE)), await timeEach(500, () => identity.getToken(STORAGE))];
  row("getToken, memory hit, median", us(eHit.median), us(iHit.median), `${ratio(iHit.median, eHit.median)} faster`);
  // A tenant neither has seen yet sends a token request in both (a claims request would not:
  // @azure/identity answers it from its cache).
  const anyTenant = { additionallyAllowedTenants: ["*"] };
  const edgeAny = new ClientSecretCredential(tenant, clientId, secret, { authorityHost: tokenServerUrl, ...anyTenant });
  const identityAny = identityCredential(tenant, clientId, secret, tokenServerUrl, anyTenant);
  let n = 0;
  const [eCold, iCold] = [
    await timeEach(300, () => edgeAny.getToken(STORAGE, { tenantId: `edge-${n++}.example` })),
    await timeEach(300, () => identityAny.getToken(STORAGE, { tenantId: `identity-${n++}.example` })),
  ];
  row("getToken, cold (a new tenantId each call), median", us(eCold.median), us(iCold.median), "out-of-process token server");
  const concurrent = async (make) => {
    const credential = make();
    const before = await tokenRequests();
    await Promise.all(Array.from({ length: 1000 }, () => credential.getToken(STORAGE)));
    return (await tokenRequests()) - before;
  };
  const eRequests = await concurrent(() => new ClientSecretCredential(`cold-${Date.now()}.example`, clientId, secret, { authorityHost: tokenServerUrl }));
  const iRequests = await concurrent(() => identityCredential(`cold-${Date.now()}.example`, clientId, secret, tokenServerUrl));
  row("token requests for 1000 concurrent cold getToken calls", String(eRequests), String(iRequests), "");
  const { bytes, dependencies } = installedSize("@azure/identity");
  row("installed size (package + dependencies)", `${(packedSize / 1024).toFixed(0)} KiB, 0 dependencies`, `${(bytes / 1024).toFixed(0)} KiB, ${dependencies} dependencies`, `${ratio(bytes, packedSize)} smaller`);
}
