// Node's AES-GCM for cache.store (see cipher.js): node:crypto runs it synchronously, where
// Node's WebCrypto goes through the thread pool (about 45 µs per 2 KB open, against 8 µs).
// node:crypto is fetched on first use with getBuiltinModule, not imported (startup time).
// Buffer's base64url codec frames the envelopes (envelope.js).
import { frame, strictDecode, unframe } from "./envelope.js";

const TAG = 16;
const decode = (text) => strictDecode(text, (checked) => Buffer.from(checked, "base64url"));
const encode = (bytes) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64url");

export function nodeCipher(rawKey) {
  const { createCipheriv, createDecipheriv, createSecretKey } = process.getBuiltinModule("node:crypto");
  const key = createSecretKey(Buffer.from(rawKey));
  return {
    open(value, aad) {
      const [iv, sealed] = unframe(value, decode);
      const decipher = createDecipheriv("aes-256-gcm", key, iv);
      decipher.setAAD(aad);
      decipher.setAuthTag(sealed.subarray(sealed.length - TAG));
      const head = decipher.update(sealed.subarray(0, sealed.length - TAG));
      // Throws when the tag does not verify: the wasm reads that as "does not open".
      const tail = decipher.final();
      return tail.length ? Buffer.concat([head, tail]) : head;
    },
    seal(iv, aad, plain) {
      const cipher = createCipheriv("aes-256-gcm", key, iv);
      cipher.setAAD(aad);
      const head = cipher.update(plain);
      const tail = cipher.final();
      return frame(iv, Buffer.concat([head, tail, cipher.getAuthTag()]), encode);
    },
  };
}
