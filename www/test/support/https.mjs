// A throwaway test CA and a server certificate for 127.0.0.1 and localhost, made by the openssl
// CLI (Node cannot create X.509 certificates itself). Trust it in a child Node process with
// NODE_EXTRA_CA_CERTS=caFile (read once at process start), or pass caPem as `ca` to https/tls.
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const openssl = (args, cwd) => promisify(execFile)("openssl", args, { cwd });

const SERVER_EXTENSIONS = [
  "basicConstraints=critical,CA:FALSE",
  "keyUsage=critical,digitalSignature,keyEncipherment",
  "extendedKeyUsage=serverAuth",
  "subjectAltName=IP:127.0.0.1,DNS:localhost",
  "",
].join("\n");

/**
 * @returns {Promise<{ caPem: string, certPem: string, keyPem: string, caFile: string, certFile: string,
 *   keyFile: string, dir: string, cleanup: () => Promise<void> }>}
 *   PEM strings, the files holding them (in `dir`), and cleanup() which removes `dir`.
 */
export async function makeHttpsCertificate() {
  const dir = await mkdtemp(join(tmpdir(), "entra-edge-https-"));
  const cleanup = () => rm(dir, { recursive: true, force: true });
  try {
    const caFile = join(dir, "ca.pem");
    const certFile = join(dir, "cert.pem");
    const keyFile = join(dir, "key.pem");
    await writeFile(join(dir, "server.ext"), SERVER_EXTENSIONS);
    // The CA: a self-signed P-256 certificate (req -x509 adds basicConstraints CA:TRUE).
    await openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "ca-key.pem", "-out", caFile, "-subj", "/CN=entra-edge test CA", "-days", "2"], dir);
    // The server key and a certificate signed by the CA.
    await openssl(["req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", keyFile, "-out", "server.csr", "-subj", "/CN=127.0.0.1"], dir);
    await openssl(["x509", "-req", "-in", "server.csr", "-CA", caFile, "-CAkey", "ca-key.pem", "-CAcreateserial", "-out", certFile, "-days", "2", "-sha256", "-extfile", "server.ext"], dir);
    const [caPem, certPem, keyPem] = await Promise.all([readFile(caFile, "utf8"), readFile(certFile, "utf8"), readFile(keyFile, "utf8")]);
    return { caPem, certPem, keyPem, caFile, certFile, keyFile, dir, cleanup };
  } catch (e) {
    await cleanup();
    throw e;
  }
}
