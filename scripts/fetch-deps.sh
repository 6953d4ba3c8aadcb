#!/usr/bin/env bash
# Fetch what the native worker needs to build:
#   - build tools, libuv and zlib from the machine's own apt sources (only what is missing);
#   - QuickJS-NG sources from Debian's qjs-src package (suite sid), downloaded with a
#     private apt state directory so the system's apt configuration is never touched.
# The pin (version + sha256) lives in native/deps.lock.
# QUICKJS_NG_SRC=/dir skips the download and uses that directory instead.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DEST="$ROOT/native/deps/quickjs-ng"
# shellcheck source=../native/deps.lock
source <(grep -E '^[A-Z0-9_]+=' "$ROOT/native/deps.lock")

log() { printf 'fetch-deps: %s\n' "$*" >&2; }
die() { printf 'fetch-deps: error: %s\n' "$*" >&2; exit 1; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    die "need root to run: $*"
  fi
}

install_system_packages() {
  local missing=() pkg
  # python3: node-gyp compiles better-sqlite3 (the registry's store) from source during npm ci.
  for pkg in libuv1-dev zlib1g-dev pkg-config cmake g++ make python3; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
  done
  if [ ${#missing[@]} -eq 0 ]; then return; fi
  log "installing ${missing[*]}"
  as_root apt-get update
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
}

# The Debian mirror this machine already uses, so no host name is written in the repo.
debian_mirror() {
  local uri=''
  if [ -r /etc/apt/sources.list.d/debian.sources ]; then
    uri=$(awk '/^URIs:/ { for (i = 2; i <= NF; i++) if ($i !~ /security/) { print $i; exit } }' \
      /etc/apt/sources.list.d/debian.sources)
  fi
  if [ -z "$uri" ] && [ -r /etc/apt/sources.list ]; then
    uri=$(awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^(https?|file|mirror):/ && $i !~ /security/) { print $i; exit } }' \
      /etc/apt/sources.list)
  fi
  [ -n "$uri" ] || die "found no Debian entry in /etc/apt/sources.list.d/debian.sources or /etc/apt/sources.list"
  printf '%s\n' "$uri"
}

sources_present() {
  [ -f "$DEST/quickjs.c" ] && [ -f "$DEST/quickjs.h" ] && [ -f "$DEST/.qjs-src-version" ]
}

fetch_quickjs() {
  if [ -n "${QUICKJS_NG_SRC:-}" ]; then
    [ -f "$QUICKJS_NG_SRC/quickjs.c" ] || die "QUICKJS_NG_SRC=$QUICKJS_NG_SRC has no quickjs.c"
    log "using QuickJS-NG sources from QUICKJS_NG_SRC=$QUICKJS_NG_SRC (no download)"
    return
  fi
  if sources_present; then
    local have
    have=$(cat "$DEST/.qjs-src-version")
    log "QuickJS-NG $have already in native/deps/quickjs-ng"
    if [ "$have" != "$QJS_SRC_VERSION" ]; then
      log "WARNING: that is not the pinned $QJS_SRC_VERSION (native/deps.lock); rm -rf native/deps to fetch again"
    fi
    return
  fi

  local tmp mirror opts deb version sum
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' RETURN
  mkdir -p "$tmp/lists/partial" "$tmp/cache/archives/partial" "$tmp/parts" "$tmp/x"
  chmod 755 "$tmp"
  mirror=$(debian_mirror)
  cat >"$tmp/parts/sid.sources" <<SRC
Types: deb
URIs: $mirror
Suites: $QJS_SRC_SUITE
Components: main
Architectures: all
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
  opts=(-o "Dir::State::Lists=$tmp/lists" -o Dir::Etc::SourceList=/dev/null
    -o "Dir::Etc::SourceParts=$tmp/parts" -o "Dir::Cache=$tmp/cache"
    -o Dir::State::status=/dev/null -o APT::Sandbox::User=root)
  log "fetching $QJS_SRC_PACKAGE ($QJS_SRC_SUITE) with a private apt state in $tmp"
  apt-get -qq "${opts[@]}" update >&2 || die "apt-get update of the private $QJS_SRC_SUITE list failed"
  (cd "$tmp" && apt-get -qq "${opts[@]}" download "$QJS_SRC_PACKAGE" >&2) || die "download of $QJS_SRC_PACKAGE failed"
  deb=$(ls "$tmp"/"${QJS_SRC_PACKAGE}"_*.deb)
  version=$(dpkg-deb -f "$deb" Version)
  sum=$(sha256sum "$deb" | cut -d' ' -f1)
  if [ "$version" = "$QJS_SRC_VERSION" ]; then
    [ "$sum" = "$QJS_SRC_SHA256" ] ||
      die "checksum mismatch for $QJS_SRC_PACKAGE $version: got $sum, native/deps.lock pins $QJS_SRC_SHA256"
  else
    {
      echo '################################################################################'
      echo "WARNING: $QJS_SRC_SUITE now has $QJS_SRC_PACKAGE $version, native/deps.lock pins $QJS_SRC_VERSION."
      echo "WARNING: building the NEWER, UNPINNED version (sha256 $sum)."
      echo 'WARNING: test it, then update QJS_SRC_VERSION and QJS_SRC_SHA256 in native/deps.lock.'
      echo '################################################################################'
    } >&2
  fi
  dpkg-deb -x "$deb" "$tmp/x"
  [ -f "$tmp/x/usr/src/quickjs-ng/quickjs.c" ] || die "$deb has no usr/src/quickjs-ng/quickjs.c"
  rm -rf "$DEST"
  mkdir -p "$(dirname "$DEST")"
  cp -a "$tmp/x/usr/src/quickjs-ng" "$DEST"
  printf '%s\n' "$version" >"$DEST/.qjs-src-version"
  log "QuickJS-NG $version extracted to native/deps/quickjs-ng"
}

install_system_packages
fetch_quickjs
