// The credential classes with @azure/identity's constructors, in every runtime. Node adds
// certificate files and the environment-driven credentials (credentials-node.js).
import { ConfidentialClientApplication } from "./client.js";
import { AppCredential, certificateFromPem, configurationFor, DECRYPT_FIRST, NOTE, withCp1 } from "./credentials.js";
import { configError } from "./errors.js";

// How a certificate path is read: Node's entry registers a reader; Workers have no files.
let readCertificateFile = null;

export function setCertificateReader(reader) {
  readCertificateFile = reader;
}

/**
 * The app factory of a credential: the app for `configuration`, or its CAE variant (cp1).
 * Notes (options accepted that change nothing) are logged once, by the first app, through its
 * logger (system.logger or loggerOptions).
 */
export function appsFor({ configuration, notes }) {
  return (cae) => {
    if (cae) return new ConfidentialClientApplication(withCp1(configuration));
    const app = new ConfidentialClientApplication(configuration);
    for (const note of notes) app[NOTE](note);
    return app;
  };
}

/** @azure/identity's ClientSecretCredential. */
export class ClientSecretCredential extends AppCredential {
  constructor(tenantId, clientId, clientSecret, options = {}) {
    super(appsFor(configurationFor("ClientSecretCredential", tenantId, clientId, { clientSecret }, options)));
  }
}

/**
 * @azure/identity's ClientCertificateCredential: `{ certificate }` (one PEM with the private key
 * and the chain) everywhere; a path (`{ certificatePath }` or a string) in Node only.
 */
export class ClientCertificateCredential extends AppCredential {
  constructor(tenantId, clientId, certificate, options = {}) {
    const name = "ClientCertificateCredential";
    let pem;
    if (certificate !== null && typeof certificate === "object" && "certificatePassword" in certificate) {
      throw configError("unsupported_option", `${name}: certificatePassword is for an encrypted key: ${DECRYPT_FIRST} and keep it in a secret store`);
    }
    const path = typeof certificate === "string" ? certificate : certificate?.certificatePath;
    if (path !== undefined) {
      if (!readCertificateFile) {
        throw configError(
          "invalid_certificate",
          `${name}: a certificate path cannot be read here (no file system on Workers): pass the PEM from a secret, new ${name}(tenantId, clientId, { certificate: env.CERTIFICATE_PEM })`,
        );
      }
      pem = readCertificateFile(path, name);
    } else {
      pem = certificate?.certificate;
    }
    super(appsFor(configurationFor(name, tenantId, clientId, { clientCertificate: certificateFromPem(name, pem) }, options)));
  }
}

/** @azure/identity's ClientAssertionCredential: `getAssertion` is called for each token request. */
export class ClientAssertionCredential extends AppCredential {
  constructor(tenantId, clientId, getAssertion, options = {}) {
    if (typeof getAssertion !== "function") {
      throw configError("invalid_credential", "ClientAssertionCredential: getAssertion must be a function returning a signed JWT (or a promise of one)");
    }
    super(appsFor(configurationFor("ClientAssertionCredential", tenantId, clientId, { clientAssertion: () => getAssertion() }, options)));
  }
}
