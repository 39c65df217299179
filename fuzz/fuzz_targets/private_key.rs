//! Any text as a PEM private key and as a certificate chain: parsed or refused, never a panic.
#![no_main]
use entra_edge::credential::{CertificateCredential, RawCertificate, Redacted};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: (String, Option<String>, bool)| {
    let (key, chain, entra) = input;
    let raw = RawCertificate {
        private_key: Some(Redacted(key)),
        x5c: chain,
        ..Default::default()
    };
    if let Ok(cert) = CertificateCredential::parse(&raw, entra) {
        let input = cert.signing_input("c", "a", 0, "j", true);
        let _ = cert.sign_es256(&input);
    }
});
