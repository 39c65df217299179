// AES-256-GCM for cache.store's envelopes, run by the runtime: the wasm core hands over the key
// once, then the stored value (framed as envelope.js reads it) or the nonce and payload to
// seal; it owns the payloads. Native AES is what a store hit needs: the wasm's software
// AES-GCM was about 40% of one in workerd (BENCHMARKS.md, issue 24). WebCrypto by default;
// the Node entry registers node:crypto instead (cipher-node.js).
import { frame, unframe } from "./envelope.js";

let factory = webCryptoCipher;

/** Registers the cipher a runtime entry prefers (called at import, does no work). */
export function setCipherFactory(make) {
  factory = make;
}

/** The cipher for one app's sealing key: the wasm calls it once per app with a store. */
export function cipherFor(rawKey) {
  return factory(rawKey);
}

const AES_GCM = "AES-GCM";

/** WebCrypto's AES-GCM: native in workerd, Deno, Bun and the Edge runtime. */
export function webCryptoCipher(rawKey) {
  const subtle = globalThis.crypto?.subtle;
  if (!subtle) throw new Error("no crypto.subtle");
  // A copy, zeroed once imported: the wasm zeroes its own copy when this returns.
  const bytes = rawKey.slice();
  let key;
  const imported = subtle.importKey("raw", bytes, AES_GCM, false, ["encrypt", "decrypt"]).then((k) => {
    bytes.fill(0);
    key = k;
    return k;
  });
  const run = (op, iv, additionalData, data) => {
    const params = { name: AES_GCM, iv, additionalData };
    return key ? subtle[op](params, key, data) : imported.then((k) => subtle[op](params, k, data));
  };
  return {
    // Throws "version" or "encoding" for a value that is no envelope; rejects when it does
    // not verify.
    open(value, aad) {
      const [iv, sealed] = unframe(value);
      return run("decrypt", iv, aad, sealed);
    },
    seal: (iv, aad, plain) => run("encrypt", iv, aad, plain).then((sealed) => frame(iv, new Uint8Array(sealed))),
  };
}
