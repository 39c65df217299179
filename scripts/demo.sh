#!/usr/bin/env bash
# Sets up what is missing, builds, and runs the example Worker in workerd against a local
# identity provider and Graph-like API (or real Entra and Graph when TENANT_ID, CLIENT_ID and
# CLIENT_SECRET are set).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh
node www/demo/run.mjs
