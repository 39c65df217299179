//! Certificate credentials: known answers (RFC 6979 ES256, OpenSSL thumbprints and PKCS#8),
//! exact JWT header and claims, and a clear error for every bad key.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests state what must hold

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use entra_edge::credential::{finish_jwt, CertificateCredential, JwsAlg};
use entra_edge::der::{self, tag};
use entra_edge::input::CertificateInput;
use entra_edge::secret::PrivateKeyPem;

fn key(name: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/tests/fixtures/keys/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

fn cert(private_key: &str, x5c: Option<&str>) -> CertificateInput {
    CertificateInput {
        private_key: Some(PrivateKeyPem::new(private_key)),
        x5c: x5c.map(str::to_owned),
        ..Default::default()
    }
}

fn hex_to_b64url(hex: &str) -> String {
    let bytes: Vec<u8> = (0..hex.trim().len() / 2)
        .map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap())
        .collect();
    URL_SAFE_NO_PAD.encode(bytes)
}

fn decode_json(part: &str) -> serde_json::Value {
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
}

#[test]
fn es256_rfc6979_known_answer() {
    // RFC 6979 §A.2.5: P-256, SHA-256, message "sample".
    let d: Vec<u8> = (0..32)
        .map(|i| {
            u8::from_str_radix(
                &"C9AFA9D845BA75166B5C215767B1D6934E50C3DB36E89B127B8A622B120F6721"
                    [2 * i..2 * i + 2],
                16,
            )
            .unwrap()
        })
        .collect();
    let mut body = der::write(tag::INTEGER, &[1]);
    body.extend(der::write(tag::OCTET_STRING, &d));
    body.extend(der::write(
        0xa0,
        &der::write(tag::OID, &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07]),
    ));
    let pem = format!(
        "-----BEGIN EC PRIVATE KEY-----\n{}\n-----END EC PRIVATE KEY-----\n",
        STANDARD.encode(der::write(tag::SEQUENCE, &body))
    );
    let c = CertificateCredential::parse(&cert(&pem, None), false).unwrap();
    assert_eq!(c.alg(), JwsAlg::Es256);
    let sig = c.sign_es256("sample").unwrap();
    let hex: String = sig.iter().map(|b| format!("{b:02X}")).collect();
    assert_eq!(
        hex,
        "EFD48B2AACB6A8FD1140DD9CD45E81D69D2C877B56AAF991C34D0EA84EAF3716\
         F7CB1C942D657C41D436C7A1B6E29F65F3E900DBB9AFF4064DC4AB2F843ACDA8"
    );
}

#[test]
fn rsa_header_from_x5c_and_exact_claims() {
    let c = CertificateCredential::parse(
        &cert(&key("rsa2048.pkcs8.pem"), Some(&key("rsa2048.cert.pem"))),
        true,
    )
    .unwrap();
    assert_eq!(c.alg(), JwsAlg::Ps256);
    let input = c.signing_input(
        "client-1",
        "https://login.microsoftonline.com/t/oauth2/v2.0/token",
        1_800_000_000,
        "jti-1",
        true,
    );
    let (h, claims) = input.split_once('.').unwrap();
    let header = decode_json(h);
    assert_eq!(header["alg"], "PS256");
    assert_eq!(header["typ"], "JWT");
    assert_eq!(
        header["x5t#S256"],
        hex_to_b64url(&key("rsa2048.cert.sha256"))
    );
    let leaf = key("rsa2048.cert.pem");
    let leaf_b64: String = leaf.lines().filter(|l| !l.starts_with("-----")).collect();
    assert_eq!(header["x5c"], serde_json::json!([leaf_b64]));
    assert_eq!(
        decode_json(claims),
        serde_json::json!({
            "aud": "https://login.microsoftonline.com/t/oauth2/v2.0/token",
            "iss": "client-1", "sub": "client-1", "jti": "jti-1",
            "nbf": 1_800_000_000u64, "iat": 1_800_000_000u64, "exp": 1_800_000_600u64
        })
    );
    let without_x5c = c.signing_input("client-1", "aud", 0, "j", false);
    assert!(decode_json(without_x5c.split('.').next().unwrap())
        .get("x5c")
        .is_none());
    assert_eq!(finish_jwt("a.b", &[0xff, 0xfe]), "a.b.__4");
}

#[test]
fn sha1_thumbprint_alone_means_rs256_with_x5t() {
    let mut raw = cert(&key("rsa2048.pkcs1.pem"), None);
    raw.thumbprint = Some(key("rsa2048.cert.sha1").trim().to_uppercase());
    raw.key_id = Some("k1".into());
    let c = CertificateCredential::parse(&raw, true).unwrap();
    assert_eq!(c.alg(), JwsAlg::Rs256);
    let header = decode_json(
        c.signing_input("c", "a", 0, "j", false)
            .split('.')
            .next()
            .unwrap(),
    );
    assert_eq!(header["x5t"], hex_to_b64url(&key("rsa2048.cert.sha1")));
    assert_eq!(header["kid"], "k1");
    assert!(header.get("x5t#S256").is_none());
}

#[test]
fn pkcs1_is_wrapped_exactly_as_openssl_pkcs8() {
    let from_pkcs1 =
        CertificateCredential::parse(&cert(&key("rsa2048.pkcs1.pem"), None), false).unwrap();
    let from_pkcs8 =
        CertificateCredential::parse(&cert(&key("rsa2048.pkcs8.pem"), None), false).unwrap();
    assert_eq!(
        from_pkcs1.rsa_pkcs8().unwrap(),
        from_pkcs8.rsa_pkcs8().unwrap()
    );
    assert_eq!(
        from_pkcs1.alg(),
        JwsAlg::Rs256,
        "no thumbprint: RS256, the widest-supported"
    );
}

#[test]
fn ec_keys_in_both_encodings_for_generic_servers() {
    for name in ["ec.sec1.pem", "ec.pkcs8.pem"] {
        let c = CertificateCredential::parse(&cert(&key(name), Some(&key("ec.cert.pem"))), false)
            .unwrap();
        assert_eq!(c.alg(), JwsAlg::Es256, "{name}");
        assert_eq!(c.sign_es256("x").unwrap().len(), 64);
        assert!(c.rsa_pkcs8().is_none());
    }
}

fn err(raw: CertificateInput, entra: bool) -> String {
    let e = CertificateCredential::parse(&raw, entra).unwrap_err();
    assert_eq!(e.code(), "invalid_certificate");
    e.message().to_owned()
}

#[test]
fn bad_keys_have_clear_errors() {
    assert_eq!(
        err(cert("garbage", None), false),
        "auth.clientCertificate.privateKey is not readable: expected a PEM private key: PKCS#8 (BEGIN PRIVATE KEY), \
         PKCS#1 RSA (BEGIN RSA PRIVATE KEY) or SEC1 EC P-256 (BEGIN EC PRIVATE KEY)"
    );
    assert!(err(cert(&key("rsa2048.encrypted.pem"), None), false)
        .starts_with("auth.clientCertificate.privateKey is encrypted"));
    assert_eq!(
        err(cert(&key("rsa1024.pkcs8.pem"), None), false),
        "auth.clientCertificate.privateKey is a 1024-bit RSA key: use 2048 bits or more"
    );
    assert!(err(
        cert(&key("rsa2048.pkcs8.pem"), Some(&key("other-rsa.cert.pem"))),
        false
    )
    .starts_with(
        "auth.clientCertificate.privateKey does not belong to the first certificate in x5c"
    ));
    assert!(err(
        cert(&key("ec.sec1.pem"), Some(&key("rsa2048.cert.pem"))),
        false
    )
    .contains("does not belong"));
    assert!(err(cert(&key("ec.pkcs8.pem"), None), true).contains("AADSTS5002738"));
    for p384 in ["ec384.sec1.pem", "ec384.pkcs8.pem"] {
        assert_eq!(
            err(cert(&key(p384), None), false),
            "auth.clientCertificate.privateKey is an EC key that is not on curve P-256: only P-256 (prime256v1) is supported"
        );
    }
    assert!(err(cert(&key("rsa2048.pkcs8.pem"), None), true).contains("thumbprintSha256"));
    let mut wrong_thumb = cert(&key("rsa2048.pkcs8.pem"), Some(&key("rsa2048.cert.pem")));
    wrong_thumb.thumbprint_sha256 = Some("00".repeat(32));
    assert!(err(wrong_thumb, true).contains("does not match the first certificate"));
    let mut short = cert(&key("rsa2048.pkcs8.pem"), None);
    short.thumbprint_sha256 = Some("abcd".into());
    assert_eq!(
        err(short, true),
        "auth.clientCertificate.thumbprintSha256 must be 64 hex characters (the certificate's SHA-256 thumbprint), colons allowed"
    );
    assert!(
        err(cert(&key("rsa2048.pkcs8.pem"), Some("not a cert")), false)
            .starts_with("auth.clientCertificate.x5c is not readable")
    );
}

#[test]
fn key_material_never_in_debug_or_errors() {
    let pem = key("rsa2048.pkcs8.pem");
    let body_line = pem.lines().nth(3).unwrap();
    let c = CertificateCredential::parse(&cert(&pem, None), false).unwrap();
    assert!(!format!("{c:?}").contains(body_line));
    let raw = cert(&pem.replace("MII", "!!!"), None);
    let debug = format!("{raw:?}");
    assert!(!format!("{debug} {}", err(raw, false)).contains(body_line));
}
