// The envelope's framing, as src/envelope.rs defines it ("ee1." + base64url without padding of
// nonce || ciphertext || tag), done in JS for the runtime ciphers: a stored value then goes
// from the store to the cipher without being copied into the wasm and decoded there, which
// was a sixth of a workerd store hit (BENCHMARKS.md, issue 24). test/cipher.test.mjs checks
// both sides make the same bytes (a vector from tests/envelope.rs).
const PREFIX = "ee1.";
const NONCE = 12;
const TAG = 16;
// The base64url alphabet, no padding: what the core's decoder accepts.
const BASE64URL = /^[A-Za-z0-9_-]*$/;

/**
 * [nonce, ciphertext and tag] of stored `value`; throws Error("version" | "encoding"). `decode`
 * may be lenient (Buffer skips what is not base64url): the alphabet is then checked here.
 */
export function unframe(value, decode = decodeBase64Url) {
  if (typeof value !== "string" || !value.startsWith(PREFIX)) throw new Error("version");
  const body = value.slice(PREFIX.length);
  if (body.length % 4 === 1) throw new Error("encoding");
  let bytes;
  try {
    bytes = decode(body);
  } catch {
    throw new Error("encoding");
  }
  if (bytes.length < NONCE + TAG) throw new Error("encoding");
  return [bytes.subarray(0, NONCE), bytes.subarray(NONCE)];
}

/** The stored value of `sealed` (ciphertext and tag) made with nonce `iv`. */
export function frame(iv, sealed, encode = encodeBase64Url) {
  const bytes = new Uint8Array(iv.length + sealed.length);
  bytes.set(iv);
  bytes.set(sealed, iv.length);
  return PREFIX + encode(bytes);
}

/** `text` decoded, refusing anything but base64url without padding. */
export function strictDecode(text, decode) {
  if (!BASE64URL.test(text)) throw new Error("encoding");
  return decode(text);
}

// The runtime's own codec where it has one (Uint8Array.fromBase64 / toBase64), else atob/btoa.
// fromBase64 refuses other alphabets itself, so only padding is checked here: the regular
// expression it spares was a twentieth of a workerd store hit (issue 24).
function decodeBase64Url(text) {
  if (typeof Uint8Array.fromBase64 === "function") {
    if (text.endsWith("=")) throw new Error("encoding");
    return Uint8Array.fromBase64(text, { alphabet: "base64url" });
  }
  return strictDecode(text, atobBase64Url);
}

function atobBase64Url(text) {
  const binary = atob(text.replaceAll("-", "+").replaceAll("_", "/"));
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

function encodeBase64Url(bytes) {
  if (typeof bytes.toBase64 === "function") return bytes.toBase64({ alphabet: "base64url", omitPadding: true });
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
  return btoa(binary).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}
