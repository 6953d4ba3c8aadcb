#!/usr/bin/env bash
# Sets up a fresh machine for bunbase-functions and runs the quick-start example:
# system packages and QuickJS-NG sources (scripts/fetch-deps.sh), npm packages,
# the TypeScript build, the native QuickJS-NG worker.
#   bash scripts/setup.sh               everything, then the quick-start example
#   bash scripts/setup.sh --no-example  everything but the example (CI)
set -euo pipefail
cd "$(dirname "$0")/.."

run_example=1
for arg in "$@"; do
  case "$arg" in
    --no-example) run_example=0 ;;
    *) echo "setup.sh: unknown argument $arg" >&2; exit 2 ;;
  esac
done

step() { printf '\n==> %s\n' "$*"; }

step "System packages and QuickJS-NG sources"
bash scripts/fetch-deps.sh

step "npm packages"
# The bun package's postinstall only relinks its binary; we find the binary ourselves.
# better-sqlite3 (the registry's store; its script is approved in package.json's
# allowScripts) compiles from source with node-gyp against Node's own headers:
# build-from-source skips its attempt to download a prebuilt binary.
npm_config_build_from_source=true npm ci --no-audit --no-fund

step "TypeScript build and the Bun worker entry"
npm run build

step "Native QuickJS-NG worker"
npm run build:native

if [ "$run_example" = 1 ]; then
  step "Quick-start example"
  node examples/quick-start.mjs
fi
