//! Stored entries: sealing, opening, every way an entry fails to open, and KV TTL arithmetic.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests state what must hold

use entra_edge::cache::CachedToken;
use entra_edge::envelope::{open, seal, ttl_seconds, OpenError, SealingKey};
use entra_edge::secret::AccessToken;

fn token(expires_on_ms: u64) -> CachedToken {
    CachedToken {
        access_token: AccessToken::new("eyJ.secret-token.sig"),
        token_type: "Bearer".into(),
        expires_on_ms,
        ext_expires_on_ms: Some(expires_on_ms + 1000),
        refresh_on_ms: None,
        scopes: vec!["https://graph.microsoft.com/.default".into()],
        tenant_id: Some("t".into()),
        issued_at_ms: None,
    }
}

fn key() -> SealingKey {
    SealingKey::derive(b"client secret value", "client-id")
}

#[test]
fn round_trip_hides_everything() {
    let sealed = seal(&key(), "entra-edge:abc", &token(5_000_000), [7; 12]).unwrap();
    assert!(sealed.starts_with("ee1."));
    for hidden in ["secret-token", "graph", "Bearer"] {
        assert!(!sealed.contains(hidden), "{hidden} visible in {sealed}");
    }
    let opened = open(&key(), "entra-edge:abc", &sealed).unwrap();
    assert_eq!(opened.access_token.secret(), "eyJ.secret-token.sig");
    assert_eq!(opened.expires_on_ms, 5_000_000);
    assert_eq!(opened.ext_expires_on_ms, Some(5_001_000));
    assert_eq!(opened.tenant_id.as_deref(), Some("t"));
}

#[test]
fn same_nonce_and_input_give_same_bytes() {
    let a = seal(&key(), "k", &token(1), [1; 12]).unwrap();
    assert_eq!(a, seal(&key(), "k", &token(1), [1; 12]).unwrap());
    assert_ne!(a, seal(&key(), "k", &token(1), [2; 12]).unwrap());
}

#[test]
fn failures_are_misses_with_reasons() {
    let sealed = seal(&key(), "k1", &token(1), [9; 12]).unwrap();
    let other_key = SealingKey::derive(b"another secret", "client-id");
    let other_client = SealingKey::derive(b"client secret value", "other-client");
    assert_eq!(
        open(&other_key, "k1", &sealed).unwrap_err(),
        OpenError::Authentication
    );
    assert_eq!(
        open(&other_client, "k1", &sealed).unwrap_err(),
        OpenError::Authentication
    );
    assert_eq!(
        open(&key(), "k2", &sealed).unwrap_err(),
        OpenError::Authentication,
        "moved entry"
    );

    let mut tampered = sealed.clone().into_bytes();
    let last = tampered.len() - 5;
    tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).unwrap();
    assert_eq!(
        open(&key(), "k1", &tampered).unwrap_err(),
        OpenError::Authentication
    );

    assert_eq!(
        open(&key(), "k1", "ee0.abc").unwrap_err(),
        OpenError::Version
    );
    assert_eq!(
        open(&key(), "k1", "{\"access_token\":\"x\"}").unwrap_err(),
        OpenError::Version
    );
    assert_eq!(
        open(&key(), "k1", "ee1.!!!").unwrap_err(),
        OpenError::Encoding
    );
    assert_eq!(
        open(&key(), "k1", "ee1.AAAA").unwrap_err(),
        OpenError::Encoding
    );
}

#[test]
fn ttl_boundaries() {
    let buffer = 300_000;
    // Servable until expiry - buffer; KV needs at least 60 s.
    assert_eq!(ttl_seconds(&token(360_000), 0, buffer), Some(60));
    assert_eq!(ttl_seconds(&token(359_999), 0, buffer), None);
    assert_eq!(ttl_seconds(&token(3_600_000), 0, buffer), Some(3_300));
    assert_eq!(
        ttl_seconds(&token(100), 5_000, buffer),
        None,
        "already past expiry"
    );
}

/// Envelopes sealed by the release that serialized with serde_json: entries already in users'
/// stores must keep opening, and the same input must still seal to the same bytes.
#[test]
fn entries_sealed_by_the_serde_release_open_and_seal_identically() {
    const SEALED: [(&str, bool, [u8; 12]); 2] = [
        ("ee1.AwMDAwMDAwMDAwMDgkrUvrf0bpjs5yZzP7AWTgOXxeqSncCqH7MNrCQFAOkdvwP0pYtbloOwPtSs5rHur58ohDtWIN2QC7jdg6Ib4uMyuWa3d_4Fx6jdibDuOStWh23a4nfNiGefUY0UcaIj1qJsuWxRwoAuCml1YVkUeEui4DnMeMj4HbZDez0LSxGilmCdVxcjY6D4k4xCnxHBzpulYsF_ghCMVRbadsNiw5hsoyIyDFJC99rNLGEq-4RboEiCSVpczJTL8aP4G4HrAWvBLouYt3c13Q", true, [3; 12]),
        ("ee1.BAQEBAQEBAQEBAQE0SUsvZZ4oBhKcXc5uTYE3uIUIiNFaT2Vl10rGmobGSMY33hhy7oNw2KvWczRaqib1AdUbk0ie3mtKg3Jjr1NY-VIGCUOIv9WZjuKE4aSHfPqGpYkjieFI3MQQZxiXe5VJauIx1vXliL866gH5je8eLhaz5WOVF-zNe5_xZKHmE8V-vIyr-79EWT73TE_BzXfuJQMkqEE4rv4b5L6fRDPZfUOWPr_zi62hic2L-aNCurwPR0u-iXQUGnDTNQ5ORzmoUJrqwAcl6fHcp0", false, [4; 12]),
    ];
    for (sealed, with_tenant, nonce) in SEALED {
        let mut t = token(1_700_000_000_000);
        // Escapes and non-ASCII exercise the string writer.
        t.access_token = AccessToken::new("eyJ0eXAiOiJKV1QifQ.e30.sig\"\\\u{1}é");
        t.scopes.push("api://x/.default".into());
        if !with_tenant {
            t.tenant_id = None;
        }
        let opened = open(&key(), "entra-edge:abc", sealed).unwrap();
        assert_eq!(opened.access_token.secret(), t.access_token.secret());
        assert_eq!(opened.scopes, t.scopes);
        assert_eq!(opened.tenant_id, t.tenant_id);
        assert_eq!(opened.refresh_on_ms, None);
        assert_eq!(opened.ext_expires_on_ms, Some(1_700_000_001_000));
        assert_eq!(seal(&key(), "entra-edge:abc", &t, nonce).unwrap(), sealed);
    }
}

/// The bytes every driver's cipher must make: www/test/cipher.test.mjs checks the JS package's
/// WebCrypto and node:crypto ciphers (and www/src/envelope.js's framing) against this vector.
#[test]
fn the_envelope_vector_the_js_ciphers_share() {
    let key = SealingKey::derive(b"vector material", "vector-client");
    let nonce = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];
    let plain = br#"{"at":"token","exp":1}"#;
    let sealed = entra_edge::envelope::seal_bytes(&key, "entra-edge:vector", plain, nonce).unwrap();
    assert_eq!(hex(key.expose()), VECTOR_KEY);
    assert_eq!(sealed, VECTOR);
    let opened = entra_edge::envelope::open_bytes(&key, "entra-edge:vector", VECTOR).unwrap();
    assert_eq!(opened, plain);
}

const VECTOR_KEY: &str = "4717f782e86287ac6c699223389a8e84ef4021c5e70c5a8aaac305c820c8fe13";
const VECTOR: &str = "ee1.AQIDBAUGBwgJCgsMUjKIvlekmZ-JY1xsf_j8DgwZTClZA8npv3AiGxmkkJvc8FTE0xA";

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
