// Self-signed certificates for client-assertion tests, made by the openssl CLI because Node
// cannot create X.509 certificates itself.
import { execFile } from "node:child_process";
import { X509Certificate, createPrivateKey } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { SignJWT } from "jose";

const KEY_OPTIONS = {
  rsa: ["-newkey", "rsa:2048"],
  ec: ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"],
};

/**
 * @param {"rsa" | "ec"} [type]
 * @returns {Promise<{ privateKey: string, certificate: string, thumbprint: string, thumbprintSha256: string }>}
 *   PEM PKCS#8 key, PEM certificate, and its SHA-1 / SHA-256 thumbprints as lowercase hex.
 */
export async function makeCertificate(type = "rsa") {
  const dir = await mkdtemp(join(tmpdir(), "entra-edge-cert-"));
  try {
    const keyFile = join(dir, "key.pem");
    const certFile = join(dir, "cert.pem");
    await promisify(execFile)("openssl", ["req", "-x509", ...KEY_OPTIONS[type], "-nodes", "-keyout", keyFile, "-out", certFile, "-subj", "/CN=entra-edge-test", "-days", "2"]);
    const [privateKey, certificate] = await Promise.all([readFile(keyFile, "utf8"), readFile(certFile, "utf8")]);
    const x509 = new X509Certificate(certificate);
    const hex = (fingerprint) => fingerprint.replaceAll(":", "").toLowerCase();
    return { privateKey, certificate, thumbprint: hex(x509.fingerprint), thumbprintSha256: hex(x509.fingerprint256) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * A federated token as a workload-identity platform writes it: a PS256 JWT for `clientId` at
 * `audience` (the token endpoint), signed by `cert` (a makeCertificate result), valid 10 minutes.
 */
export function federatedToken(cert, clientId, audience) {
  return new SignJWT({})
    .setProtectedHeader({ alg: "PS256", typ: "JWT", "x5t#S256": Buffer.from(cert.thumbprintSha256, "hex").toString("base64url") })
    .setIssuer(clientId).setSubject(clientId).setAudience(audience)
    .setJti(crypto.randomUUID()).setIssuedAt().setNotBefore("0s").setExpirationTime("10m")
    .sign(createPrivateKey(cert.privateKey));
}
