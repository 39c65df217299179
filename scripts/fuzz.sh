#!/usr/bin/env bash
# Fuzzes the parsers of untrusted input (token responses, stored envelopes, PEM keys and chains,
# configuration, WWW-Authenticate, Retry-After, a request's tenantId/authority/azureRegion) for
# SECONDS each (default 60), seeded from tests/fixtures.
# cargo fuzz needs a nightly toolchain: installed with rustup when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_EACH=${1:-60}

if ! rustup run nightly rustc --version >/dev/null 2>&1; then
  if ! rustup toolchain install nightly --profile minimal; then
    echo "fuzzing SKIPPED: no nightly toolchain could be installed (cargo fuzz needs one)" >&2
    exit 0
  fi
fi
if ! command -v cargo-fuzz >/dev/null 2>&1; then
  cargo install cargo-fuzz
fi

mkdir -p fuzz/corpus/{token_response,envelope,private_key,config,challenge,retry_after,request}
cp tests/fixtures/*.json fuzz/corpus/config/
printf '{"auth":{"clientId":"c","tokenEndpoint":"https://idp.example/token","clientSecret":"s"},"system":{"timeoutMs":5000,"maxRetries":3,"deadlineMs":20000}}' > fuzz/corpus/config/retry-seed
printf '{"auth":{"managedIdentity":{"environment":{"IDENTITY_ENDPOINT":"http://127.0.0.1:1/msi","IDENTITY_HEADER":"h","MSI_ENDPOINT":"http://x"},"clientId":"c"}},"cache":{"store":{},"encryptionKey":"0123456789abcdef"}}' > fuzz/corpus/config/managed-identity-seed
cp tests/fixtures/keys/*.pem fuzz/corpus/private_key/
printf 'ee1.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' > fuzz/corpus/envelope/seed
printf 'Bearer realm="", error="insufficient_claims", claims="eyJhY2Nlc3NfdG9rZW4iOnt9fQ=="' > fuzz/corpus/challenge/seed
# tenantId, authority, azureRegion: one line each, "-" for none.
printf 'fabrikam.example\n-\n-' > fuzz/corpus/request/tenant-id
printf -- '-\nhttps://login.microsoftonline.com/fabrikam.example\nwestus2' > fuzz/corpus/request/authority-region
printf 'Fabrikam.example\nhttps://LOGIN.microsoftonline.com/fabrikam.example/\nTryAutoDetect' > fuzz/corpus/request/both

cd fuzz
for target in token_response envelope private_key config challenge retry_after request; do
  echo "fuzzing $target for ${SECONDS_EACH}s"
  cargo +nightly fuzz run "$target" "corpus/$target" -- -max_total_time="$SECONDS_EACH" 2>&1 \
    | grep -E "^(Done|#[0-9]+ *DONE)|ERROR|panicked|SUMMARY|crash-" || true
  if ls "artifacts/$target"/crash-* >/dev/null 2>&1; then
    echo "fuzz target $target found a crash: see fuzz/artifacts/$target" >&2
    exit 1
  fi
done
