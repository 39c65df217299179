//! Any text as a PEM private key and as a certificate chain: parsed or refused, never a panic.
#![no_main]
use entra_edge::credential::CertificateCredential;
use entra_edge::input::CertificateInput;
use entra_edge::secret::PrivateKeyPem;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: (String, Option<String>, bool)| {
    let (key, chain, entra) = input;
    let raw = CertificateInput {
        private_key: Some(PrivateKeyPem::new(key)),
        x5c: chain,
        ..Default::default()
    };
    if let Ok(cert) = CertificateCredential::parse(&raw, entra) {
        let input = cert.signing_input("c", "a", 0, "j", true);
        let _ = cert.sign_es256(&input);
    }
});
