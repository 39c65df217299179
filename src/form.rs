//! `application/x-www-form-urlencoded` (WHATWG URL §5.2): token request bodies, HTTP Basic
//! credentials (RFC 6749 §2.3.1), query strings, and the encoded forms a scrubber looks for.

/// Serializes name/value pairs as a form body.
pub fn form_body(pairs: &[(&str, &str)]) -> String {
    let mut out = String::new();
    for (i, (k, v)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        encode_into(&mut out, k);
        out.push('=');
        encode_into(&mut out, v);
    }
    out
}

/// The form-urlencoded byte serializer: space becomes `+`, `*-._` and alphanumerics stay.
pub fn form_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    encode_into(&mut out, s);
    out
}

fn encode_into(out: &mut String, s: &str) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'*' | b'-' | b'.' | b'_' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => {
                out.push('%');
                out.push(HEX[usize::from(b >> 4)] as char);
                out.push(HEX[usize::from(b & 15)] as char);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_encoding_matches_urlsearchparams() {
        // Expected values from `new URLSearchParams({k: v}).toString()` in Node 20.
        assert_eq!(form_encode("s3cr+t %:~/é"), "s3cr%2Bt+%25%3A%7E%2F%C3%A9");
        assert_eq!(form_body(&[("a b", "*-._"), ("c", "")]), "a+b=*-._&c=");
    }
}
