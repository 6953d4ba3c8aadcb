#!/usr/bin/env bash
# Runs the QuickJS-NG tests against the AddressSanitizer + UBSan build of the
# native worker, and fails if any sanitizer wrote a report (leaks included).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/build-native.sh --asan
reports=$(mktemp -d)
export BUNBASE_QJS_WORKER="$PWD/build-asan/bunbase-worker"
export BUNBASE_TEST_RUNTIMES=quickjs-ng
# The worker normally gets an empty environment; with BUNBASE_QJS_WORKER set,
# lib/workers/quickjs-worker.ts passes these sanitizer settings through.
# A 16 MB quarantine (default 256 MB) keeps the worker's resident size near what maxMemory expects.
export ASAN_OPTIONS="log_path=$reports/asan:detect_leaks=1:abort_on_error=0:quarantine_size_mb=16"
export UBSAN_OPTIONS="log_path=$reports/ubsan:print_stacktrace=1:halt_on_error=0"
export LSAN_OPTIONS="log_path=$reports/lsan"

status=0
# Left out: suites that run large JavaScript polyfills (Intl, jose and the
# WebCrypto primitives over BigInt). Under ASan's redzones their heaps pass the
# strict profile's 100 MB and take minutes; the C they reach (engine, allocator,
# crypto module) is exercised by the rest.
node scripts/run-tests.mjs test/integration test/native \
  --exclude test/integration/intl.test.ts \
  --exclude test/integration/webcrypto-jose.test.ts \
  --exclude test/integration/webcrypto-primitives.test.ts || status=$?
# LeakSanitizer needs ptrace, which the fence's seccomp filter refuses: run the
# worker's own tests once more without the fence so leaks are checked too.
BUNBASE_QJS_OS_SANDBOX=0 node scripts/run-tests.mjs test/native || status=$?
if compgen -G "$reports/*" > /dev/null; then
  echo "Sanitizer reports from the native worker:" >&2
  cat "$reports"/* >&2
  status=1
else
  echo "No sanitizer reports from the native worker."
fi
rm -rf "$reports"
exit "$status"
