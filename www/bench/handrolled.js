// What a Worker typically hand-writes instead of a library: plain fetch of the token endpoint,
// the token kept in a module variable and in KV, no single-flight, no retries. It stands for
// "today's Worker code" in the benchmark; it is not part of the package.
const memo = new Map(); // `${clientId}:${scope}` -> { accessToken, expiresAt }

// `fetch` is the global one unless a benchmark answers the token endpoint inside the isolate.
export async function handRolledToken(env, { tokenEndpoint, clientId, clientSecret, scope, skipCache = false, memory = true, fetch = globalThis.fetch }) {
  const now = Date.now();
  const key = `${clientId}:${scope}`;
  if (!skipCache) {
    const cached = memory && memo.get(key);
    if (cached && cached.expiresAt - 300_000 > now) return cached.accessToken;
    const stored = await env.TOKEN_CACHE.get(`hand:${key}`, "json");
    if (stored && stored.expiresAt - 300_000 > now) {
      if (memory) memo.set(key, stored);
      return stored.accessToken;
    }
  }
  const res = await fetch(tokenEndpoint, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ grant_type: "client_credentials", client_id: clientId, client_secret: clientSecret, scope }),
  });
  if (!res.ok) throw new Error(`token endpoint answered ${res.status}: ${await res.text()}`);
  const body = await res.json();
  const entry = { accessToken: body.access_token, expiresAt: now + body.expires_in * 1000 };
  if (memory) memo.set(key, entry);
  await env.TOKEN_CACHE.put(`hand:${key}`, JSON.stringify(entry), { expirationTtl: Math.max(60, body.expires_in - 300) });
  return entry.accessToken;
}
