#!/usr/bin/env bash
# Build the OS fence (native/sandbox*.c, native/launcher.c) with plain gcc and
# attack it: every attack runs once without the fence (the positive control:
# it must succeed, or the test proves nothing) and once inside it (it must be
# refused). Then Bun runs under the launcher.
#
#   scripts/test-sandbox.sh              -O2 build into build-sandbox/
#   scripts/test-sandbox.sh --sanitize   ASan+UBSan build into build-sandbox-asan/
#
# Exits non-zero on any failure; prints "N passed, N failed" last.
set -u

ROOT=$(cd "$(dirname "$0")/.." && pwd)
CFLAGS=(-Wall -Wextra -Werror -O2)
OUT="$ROOT/build-sandbox"
SANITIZE=0
if [ "${1:-}" = "--sanitize" ]; then
  SANITIZE=1
  CFLAGS+=(-g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined)
  OUT="$ROOT/build-sandbox-asan"
fi
mkdir -p "$OUT"

echo "== build ($OUT)"
gcc "${CFLAGS[@]}" -o "$OUT/bunbase-launcher" "$ROOT"/native/launcher.c "$ROOT"/native/sandbox*.c || exit 1
gcc "${CFLAGS[@]}" -pthread -o "$OUT/attack" "$ROOT"/test/sandbox-native/attack.c "$ROOT"/native/sandbox*.c || exit 1

PASS=0
FAIL=0
T=$(mktemp -d /tmp/bunbase-fence.XXXXXX)
LISTENER_PID=
SLEEPER_PID=
cleanup() {
  [ -n "$LISTENER_PID" ] && kill "$LISTENER_PID" 2>/dev/null
  [ -n "$SLEEPER_PID" ] && kill "$SLEEPER_PID" 2>/dev/null
  rm -rf "$T"
}
trap cleanup EXIT

mkdir -p "$T/rw" "$T/ro" "$T/outside" "$T/work" "$T/mnt" "$T/bin"
echo "readable" > "$T/ro/file.txt"
echo "secret" > "$T/outside/secret.txt"
# The attack binary lives in its own directory so --exec grants nothing else.
cp "$OUT/attack" "$T/bin/attack"
A="$T/bin/attack"

# What any dynamically linked program needs to start.
RUNTIME=(--read /usr/lib --read /usr/lib64 --read /etc/ld.so.cache --write-file /dev/null)
ENV=()
if [ "$SANITIZE" = 1 ]; then
  # ASan reads /proc/self/maps, and its options from /proc/self/environ (not
  # from environ), and LeakSanitizer's ptrace-based stop-the-world cannot
  # work inside the fence, so it is switched off there.
  RUNTIME+=(--read /proc/self/maps --read /proc/self/environ)
  ENV+=(--env ASAN_OPTIONS=detect_leaks=0)
  export ASAN_OPTIONS=detect_leaks=0
  # Leaks are checked where the fence is not in the way: the launcher's own
  # settings errors, and the unfenced controls of fork/exec/threads.
  LEAKCHECK=(env ASAN_OPTIONS=detect_leaks=1)
else
  LEAKCHECK=()
fi
LAUNCH=("$OUT/bunbase-launcher" --fs-rw "$T/rw" --fs-ro "$T/ro" --workdir "$T/work"
        "${RUNTIME[@]}" "${ENV[@]}" --max-fds 64)

# outcome RC -> escaped | refused | signal:NAME | broken:RC
outcome() {
  case "$1" in
    0) echo escaped ;;
    1) echo refused ;;
    *) if [ "$1" -gt 128 ]; then echo "signal:$(kill -l $(($1 - 128)))"; else echo "broken:$1"; fi ;;
  esac
}

# check NAME WANT CMD...: run CMD, compare its outcome with WANT.
check() {
  local name=$1 want=$2
  shift 2
  local out rc got
  out=$("$@" 2>&1 </dev/null)
  rc=$?
  got=$(outcome "$rc")
  if [ "$got" = "$want" ]; then
    PASS=$((PASS + 1))
    printf 'ok   %-44s %s\n' "$name" "$got"
  else
    FAIL=$((FAIL + 1))
    printf 'FAIL %-44s want %s, got %s\n' "$name" "$want" "$got"
    printf '%s\n' "$out" | sed 's/^/     | /' | tail -n 15
  fi
}

# attack NAME [ARGS]: positive control outside, refused inside the fence.
attack() {
  check "control: $*" escaped "$A" "$@"
  check "fenced:  $*" refused "${LAUNCH[@]}" -- "$A" "$@"
}

# Start the loopback listener (TCP on 127.0.0.1 and ::1, UNIX sockets).
node "$ROOT/test/sandbox-native/listener.cjs" "$T/listener.env" "$T/outside/unix.sock" &
LISTENER_PID=$!
for _ in $(seq 100); do [ -f "$T/listener.env" ] && break; sleep 0.05; done
[ -f "$T/listener.env" ] || { echo "listener did not start"; exit 1; }
# shellcheck disable=SC1091
. "$T/listener.env"
sleep 300 &
SLEEPER_PID=$!

echo "== report"
check "launcher writes the report" escaped \
  sh -c '"$@" --report-fd 3 -- '"$A"' noop 3>&1 | grep -q "\"landlock\":\"on\",\"landlockAbi\":[0-9]*,\"seccomp\":\"on\",\"rlimits\":\"on\",\"netns\":\"on\",\"noNewPrivs\":\"on\"" && exit 0 || exit 1' \
  sh "${LAUNCH[@]}"
"${LAUNCH[@]}" --report-fd 1 -- "$A" noop | head -1
check "report JSON escapes and truncates the reason" escaped \
  sh -c '"$1" report-json | node -e "const r=JSON.parse(require(\"fs\").readFileSync(0,\"utf8\"));
    process.exit(r.landlock===\"unavailable\"&&r.seccomp===\"error\"&&r.reason.startsWith(\"quote \\\" backslash\")?0:1)"' sh "$A"

# A kernel without Landlock (landlock_create_ruleset -> ENOSYS) or without
# namespaces (unshare -> EPERM): reported as unavailable, never silent, and
# --require refuses to start.
NO_LANDLOCK=("$A" --without 444 38)
NO_UNSHARE=("$A" --without 272 1)
check "no Landlock: reported unavailable" escaped \
  sh -c '"$@" --report-fd 3 -- '"$A"' noop 3>&1 | grep -q "\"landlock\":\"unavailable\",\"landlockAbi\":0"' \
  sh "${NO_LANDLOCK[@]}" "${LAUNCH[@]}"
check "no Landlock: still fenced by seccomp" refused "${NO_LANDLOCK[@]}" "${LAUNCH[@]}" -- "$A" fork
check "no Landlock: --require exits 43" broken:43 "${NO_LANDLOCK[@]}" "${LAUNCH[@]}" --require -- "$A" noop
check "no namespaces: netns reported unavailable" escaped \
  sh -c '"$@" --report-fd 3 -- '"$A"' noop 3>&1 | grep -q "\"netns\":\"unavailable\""' \
  sh "${NO_UNSHARE[@]}" "${LAUNCH[@]}"
check "no namespaces: --require exits 43" broken:43 "${NO_UNSHARE[@]}" "${LAUNCH[@]}" --require -- "$A" noop
check "all layers present: --require starts" escaped "${LAUNCH[@]}" --require -- "$A" noop

echo "== filesystem (Landlock)"
attack read /etc/passwd
attack read "$T/outside/secret.txt"
[ "$SANITIZE" = 1 ] || attack read /proc/self/environ  # granted to ASan builds
attack read /proc/1/cmdline
attack write "$T/outside/new.txt"
attack write "$T/ro/new.txt"
attack write "$T/ro/file.txt"
attack mkdir "$T/ro/dir"
attack symlink-escape "$T/rw"
attack dotdot-escape "$T/rw"
echo "fence test file" > "$T/outside/meta.txt"
attack chmod "$T/outside/meta.txt"
attack utimes "$T/outside/meta.txt"
attack setxattr "$T/outside/meta.txt"
attack chmod "$T/rw"
attack hardlink "$T/outside/secret.txt" "$T/rw/secret-link"
check "fenced:  fchmod/futimens on a granted file" escaped "${LAUNCH[@]}" -- "$A" fchmod-own "$T/rw/own.txt"
check "fenced:  read inside ro dir" escaped "${LAUNCH[@]}" -- "$A" read "$T/ro/file.txt"
check "fenced:  write inside rw dir" escaped "${LAUNCH[@]}" -- "$A" write "$T/rw/new.txt"
check "fenced:  write inside workdir" escaped "${LAUNCH[@]}" -- "$A" write "$T/work/new.txt"
check "fenced:  cwd is the workdir" escaped "${LAUNCH[@]}" -- "$A" cwd "$T/work"
check "fenced:  exec a binary not granted" refused \
  "${LAUNCH[@]}" --allow-child -- "$A" exec /usr/bin/true
check "fenced:  --allow-fs: /etc/passwd readable" escaped \
  "${LAUNCH[@]/--fs-rw/--fs-ro}" --allow-fs -- "$A" read /etc/passwd
check "fenced:  --allow-fs: /proc still denied" refused \
  "${LAUNCH[@]/--fs-rw/--fs-ro}" --allow-fs -- "$A" read /proc/1/cmdline
# A read-only directory nested in a read-write one: Landlock rules only add
# access, so the read-write grant is split around it (read-only wins).
mkdir -p "$T/nest/ro/deep" "$T/nest/sub" "$T/nest/ro-sibling"
echo "kept" > "$T/nest/ro/file.txt"
echo "own" > "$T/nest/own.txt"
NEST=("$OUT/bunbase-launcher" --fs-rw "$T/nest" --fs-ro "$T/nest/ro" --workdir "$T/work"
      "${RUNTIME[@]}" "${ENV[@]}" --max-fds 64)
for target in "$T/nest/ro/new.txt" "$T/nest/ro/file.txt" "$T/nest/ro/deep/new.txt"; do
  check "control: nested ro: write $target" escaped "$A" write "$target"
  rm -f "$T/nest/ro/new.txt" "$T/nest/ro/deep/new.txt"; echo "kept" > "$T/nest/ro/file.txt"
  check "fenced:  nested ro: write $target" refused "${NEST[@]}" -- "$A" write "$target"
done
check "fenced:  nested ro: mkdir inside it" refused "${NEST[@]}" -- "$A" mkdir "$T/nest/ro/dir"
check "fenced:  nested ro: still readable" escaped "${NEST[@]}" -- "$A" read "$T/nest/ro/file.txt"
check "fenced:  nested ro: the rest is writable" escaped "${NEST[@]}" -- "$A" write "$T/nest/sub/new.txt"
check "fenced:  nested ro: a sibling with the same prefix" escaped "${NEST[@]}" -- "$A" write "$T/nest/ro-sibling/new.txt"
check "fenced:  nested ro: an existing file beside it" escaped "${NEST[@]}" -- "$A" write "$T/nest/own.txt"
check "fenced:  nested ro: the split directory is listable" escaped "${NEST[@]}" -- "$A" read "$T/nest"
check "fenced:  nested ro: no new entry beside it (the cost)" refused "${NEST[@]}" -- "$A" write "$T/nest/new.txt"
check "fenced:  read-write inside read-only: read-only wins" refused \
  "$OUT/bunbase-launcher" --fs-ro "$T/nest" --fs-rw "$T/nest/sub" --workdir "$T/work" "${RUNTIME[@]}" "${ENV[@]}" \
  -- "$A" write "$T/nest/sub/other.txt"
check "fenced:  --allow-fs with a nested ro: refused inside it" refused \
  "$OUT/bunbase-launcher" --allow-fs --fs-ro "$T/nest/ro" --workdir "$T/work" "${RUNTIME[@]}" "${ENV[@]}" \
  -- "$A" write "$T/nest/ro/new.txt"
check "fenced:  --allow-fs with a nested ro: a split ancestor is listable" escaped \
  "$OUT/bunbase-launcher" --allow-fs --fs-ro "$T/nest/ro" --workdir "$T/work" "${RUNTIME[@]}" "${ENV[@]}" \
  -- "$A" read "$T/nest"

echo "== processes (seccomp)"
attack fork
attack vfork
attack clone3
attack spawn "$A"
attack exec "$A"
attack execveat "$A"
check "fenced:  threads work" escaped "${LAUNCH[@]}" -- "$A" threads
check "fenced:  --allow-child: fork" escaped "${LAUNCH[@]}" --allow-child -- "$A" fork
check "fenced:  --allow-child: exec self" escaped "${LAUNCH[@]}" --allow-child -- "$A" exec "$A"
# (Under ASan the spawned child cannot read its own /proc/<pid>/environ, so
# its LeakSanitizer runs and fails inside the fence: -O2 build only.)
[ "$SANITIZE" = 1 ] ||
  check "fenced:  --allow-child: spawn self" escaped "${LAUNCH[@]}" --allow-child -- "$A" spawn "$A"
check "fenced:  --allow-child: still no unshare" refused "${LAUNCH[@]}" --allow-child -- "$A" unshare

echo "== signals"
attack kill 1 0
check "control: kill sleeper 0" escaped "$A" kill "$SLEEPER_PID" 0
check "fenced:  kill sleeper SIGTERM" refused "${LAUNCH[@]}" -- "$A" kill "$SLEEPER_PID" 15
attack kill -1 0
attack kill-parent
# The parent is a disposable sh: if the fence failed, sh dies of SIGTERM and
# the outcome is signal:TERM, not refused.
check "fenced:  kill(getppid(), SIGTERM)" refused \
  sh -c '"$@"; exit $?' sh "${LAUNCH[@]}" -- "$A" kill-parent 15
check "control: kill(getppid(), SIGTERM)" signal:TERM \
  sh -c '"$@"; exit $?' sh "$A" kill-parent 15
attack kill-hibits
attack tgkill-init
check "fenced:  --allow-child: kill 1 0 (Landlock scope)" refused \
  "${LAUNCH[@]}" --allow-child -- "$A" kill 1 0
check "fenced:  --allow-child: kill sleeper (Landlock scope)" refused \
  "${LAUNCH[@]}" --allow-child -- "$A" kill "$SLEEPER_PID" 15
check "the sleeper survived all of it" escaped kill -0 "$SLEEPER_PID"
check "fenced:  signal to self" escaped "${LAUNCH[@]}" -- "$A" kill-self
attack setsid-group
attack join-parent-group
attack prlimit-parent
attack renice-parent
attack affinity-parent
check "fenced:  own rlimits and priority" escaped "${LAUNCH[@]}" -- "$A" self-limits

echo "== network (seccomp, netns, Landlock)"
attack socket inet
attack socket inet6
attack socket netlink
attack socket packet
attack socket unix
attack socket-hibits
check "fenced:  socketpair" escaped "${LAUNCH[@]}" -- "$A" socketpair
check "fenced:  --allow-unix-sockets: socket(AF_UNIX)" escaped \
  "${LAUNCH[@]}" --allow-unix-sockets -- "$A" socket unix
check "fenced:  --allow-unix-sockets: socket(AF_INET)" refused \
  "${LAUNCH[@]}" --allow-unix-sockets -- "$A" socket inet
attack connect4 "$PORT"
attack connect6 "$PORT"
attack bind4
# With sockets allowed by seccomp, the network namespace and Landlock still hold.
check "fenced:  inet sockets on: connect 127.0.0.1" refused \
  "${LAUNCH[@]}" --allow-inet-sockets -- "$A" connect4 "$PORT"
check "fenced:  inet sockets on: connect ::1" refused \
  "${LAUNCH[@]}" --allow-inet-sockets -- "$A" connect6 "$PORT"
check "fenced:  inet sockets on: bind+listen" refused \
  "${LAUNCH[@]}" --allow-inet-sockets -- "$A" bind4
check "control: unix connect abstract" escaped "$A" unix-connect "$ABSTRACT"
check "fenced:  unix sockets on: connect abstract" refused \
  "${LAUNCH[@]}" --allow-unix-sockets -- "$A" unix-connect "$ABSTRACT"
check "fenced:  --allow-net: connect 127.0.0.1" escaped \
  "${LAUNCH[@]}" --allow-net --allow-inet-sockets -- "$A" connect4 "$PORT"

echo "== kernel surface (seccomp)"
attack ptrace
attack sysv-shm
attack process-vm-readv
attack mount "$T/mnt"
attack unshare
attack chroot
attack keyctl
attack bpf
attack perf-event-open
attack io-uring
attack userfaultfd
attack name-to-handle
attack tiocsti
check "control: x32 syscall" escaped "$A" x32
check "fenced:  x32 syscall kills" signal:SYS "${LAUNCH[@]}" -- "$A" x32
# A kernel built without the i386 ABI (CONFIG_IA32_EMULATION off, or
# ia32_emulation=0) answers int 0x80 with SIGSEGV, fence or no fence: nothing
# reaches a system call, so there is nothing for the filter to kill.
# (ASan catches SIGSEGV and exits 1 with a report: handle_segv=0 leaves the signal be.)
SEGV_ENV=()
SEGV_LAUNCH=("${LAUNCH[@]}")
if [ "$SANITIZE" = 1 ]; then
  SEGV_ENV=(env ASAN_OPTIONS=detect_leaks=0:handle_segv=0)
  SEGV_LAUNCH=("$OUT/bunbase-launcher" --fs-rw "$T/rw" --fs-ro "$T/ro" --workdir "$T/work"
               "${RUNTIME[@]}" --env ASAN_OPTIONS=detect_leaks=0:handle_segv=0 --max-fds 64)
fi
"${SEGV_ENV[@]}" "$A" int80 >/dev/null 2>&1 </dev/null
if [ "$(outcome $?)" = signal:SEGV ]; then
  check "kernel without i386 ABI: int 0x80 faults" signal:SEGV "${SEGV_ENV[@]}" "$A" int80
  check "fenced:  int 0x80 (no i386 ABI) faults" signal:SEGV "${SEGV_LAUNCH[@]}" -- "$A" int80
else
  check "control: int 0x80 (i386 ABI)" escaped "$A" int80
  check "fenced:  int 0x80 (i386 ABI) kills" signal:SYS "${LAUNCH[@]}" -- "$A" int80
fi

echo "== privileges and limits"
attack caps
check "leak check: launcher --help" escaped "${LEAKCHECK[@]}" "$OUT/bunbase-launcher" --help
check "leak check: control threads" escaped "${LEAKCHECK[@]}" "$A" threads
check "leak check: control spawn" escaped "${LEAKCHECK[@]}" "$A" spawn "$A"
attack new-privs
attack fds 64
check "control: spin 6 s" escaped "$A" spin
check "fenced:  --cpu-seconds 1 stops a spin" signal:XCPU "${LAUNCH[@]}" --cpu-seconds 1 -- "$A" spin
if [ "$SANITIZE" = 0 ]; then
  check "control: allocate 512 MiB" escaped "$A" alloc 512
  check "fenced:  --as-bytes 256M stops 512 MiB" refused \
    "${LAUNCH[@]}" --as-bytes $((256 << 20)) -- "$A" alloc 512
  check "fenced:  --data-bytes 256M stops 512 MiB" refused \
    "${LAUNCH[@]}" --data-bytes $((256 << 20)) -- "$A" alloc 512
fi

echo "== library API in-process (as the QuickJS worker uses it)"
SELF=(--fence-self "$T/rw" "$T/ro" "$T/work")
check "in-process: read /etc/passwd" refused "$A" "${SELF[@]}" read /etc/passwd
check "in-process: read ro file" escaped "$A" "${SELF[@]}" read "$T/ro/file.txt"
check "in-process: write rw dir" escaped "$A" "${SELF[@]}" write "$T/rw/inproc.txt"
check "in-process: write ro dir" refused "$A" "${SELF[@]}" write "$T/ro/inproc.txt"
check "in-process: fork" refused "$A" "${SELF[@]}" fork
check "in-process: exec" refused "$A" "${SELF[@]}" exec "$A"
check "in-process: threads" escaped "$A" "${SELF[@]}" threads
check "in-process: socket inet" refused "$A" "${SELF[@]}" socket inet
check "in-process: kill 1 0" refused "$A" "${SELF[@]}" kill 1 0
check "in-process: 64 fds" refused "$A" "${SELF[@]}" fds 64

echo "== launcher settings"
check "bad flag exits 42" broken:42 "${LEAKCHECK[@]}" "$OUT/bunbase-launcher" --frobnicate -- "$A" noop
check "relative program exits 42" broken:42 "${LEAKCHECK[@]}" "$OUT/bunbase-launcher" -- attack noop
check "missing -- exits 42" broken:42 "${LEAKCHECK[@]}" "$OUT/bunbase-launcher" --max-fds 3
check "bad number exits 42" broken:42 "${LEAKCHECK[@]}" "$OUT/bunbase-launcher" --max-fds -3 -- "$A" noop
check "LD_PRELOAD refused with 42" broken:42 "${LEAKCHECK[@]}" "$OUT/bunbase-launcher" --env LD_PRELOAD=/x -- "$A" noop
check "missing granted path exits 43" broken:43 "${LAUNCH[@]}" --read /nonexistent -- "$A" noop
check "environment is clean" escaped \
  sh -c 'test "$("$@" -- /usr/bin/env | grep -v ^ASAN_OPTIONS= | tr "\n" " ")" = "A=1 "' sh "${LAUNCH[@]}" --exec /usr/bin/env --env A=1

echo "== unprivileged (user namespace instead of CAP_SYS_ADMIN)"
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
  AS_NOBODY=(setpriv --reuid=65534 --regid=65534 --clear-groups)
  chmod 755 "$T" "$T/bin" "$T/ro"
  chmod 644 "$T/ro/file.txt"
  mkdir -p "$T/nobody-rw" "$T/nobody-work"
  chown 65534:65534 "$T/nobody-rw" "$T/nobody-work"
  NOBODY=("${AS_NOBODY[@]}" "$OUT/bunbase-launcher" --fs-rw "$T/nobody-rw" --fs-ro "$T/ro"
          --workdir "$T/nobody-work" "${RUNTIME[@]}" "${ENV[@]}" --max-fds 64)
  check "nobody: report all on (netns via userns)" escaped \
    sh -c '"$@" --report-fd 3 -- '"$A"' noop 3>&1 | grep -q "\"seccomp\":\"on\",\"rlimits\":\"on\",\"netns\":\"on\",\"noNewPrivs\":\"on\",\"capabilities\":\"on\"}"' \
    sh "${NOBODY[@]}"
  check "nobody control: read /etc/passwd" escaped "${AS_NOBODY[@]}" "$A" read /etc/passwd
  check "nobody fenced:  read /etc/passwd" refused "${NOBODY[@]}" -- "$A" read /etc/passwd
  check "nobody fenced:  read ro file" escaped "${NOBODY[@]}" -- "$A" read "$T/ro/file.txt"
  check "nobody fenced:  write rw dir" escaped "${NOBODY[@]}" -- "$A" write "$T/nobody-rw/x"
  check "nobody control: connect 127.0.0.1" escaped "${AS_NOBODY[@]}" "$A" connect4 "$PORT"
  check "nobody fenced:  inet sockets on: connect" refused \
    "${NOBODY[@]}" --allow-inet-sockets -- "$A" connect4 "$PORT"
  check "nobody fenced:  caps (none, even in the userns)" refused "${NOBODY[@]}" -- "$A" caps
  check "nobody fenced:  unshare" refused "${NOBODY[@]}" -- "$A" unshare
  check "nobody fenced:  fork" refused "${NOBODY[@]}" -- "$A" fork
  check "nobody fenced:  threads" escaped "${NOBODY[@]}" -- "$A" threads
  check "nobody control: prlimit parent" escaped "${AS_NOBODY[@]}" sh -c '"$1" prlimit-parent' sh "$A"
  check "nobody fenced:  prlimit parent" refused \
    "${AS_NOBODY[@]}" sh -c '"$@" prlimit-parent' sh "${NOBODY[@]:${#AS_NOBODY[@]}}" -- "$A"
else
  check "unprivileged section needs root and setpriv" escaped false
fi

echo "== node under the launcher"
NODE=$(readlink -f "$(command -v node)")
NODE_LIBS=()
for lib in $(ldd "$NODE" | grep -o '/[^ ]*'); do NODE_LIBS+=(--read "$(readlink -f "$lib")"); done
NODE_FENCE=("$OUT/bunbase-launcher" --workdir "$T/work" "${NODE_LIBS[@]}" --write-file /dev/null
            --read /proc/self/maps --read /etc/ssl/openssl.cnf)
check "node: console.log(1+1) under the fence" escaped \
  sh -c 'test "$("$@")" = 2' sh "${NODE_FENCE[@]}" -- "$NODE" -e 'console.log(1+1)'
NODE_ATTACKS='const r=[];try{require("fs").readFileSync("/etc/passwd");r.push("read")}catch{}
try{require("child_process").execFileSync("/bin/true");r.push("spawn")}catch{}
const s=require("net").connect('"$PORT"',"127.0.0.1");s.on("connect",()=>{r.push("net");s.destroy();done()});s.on("error",done);
function done(){console.log(r.join(",")||"none")}'
check "node: control: read, spawn, connect work" escaped \
  sh -c 'test "$("$@")" = "read,spawn,net"' sh "$NODE" -e "$NODE_ATTACKS"
check "node: fenced: read, spawn, connect all fail" escaped \
  sh -c 'test "$("$@")" = none' sh "${NODE_FENCE[@]}" -- "$NODE" -e "$NODE_ATTACKS"

echo "== bun under the launcher"
BUN=$(readlink -f "$ROOT/node_modules/.bin/bun" 2>/dev/null)
if [ -z "$BUN" ] || [ ! -x "$BUN" ]; then
  check "bun binary present" escaped false
else
  PROBE_DIR="$T/bundle"
  mkdir -p "$PROBE_DIR"
  cp "$ROOT/test/sandbox-native/bun-probe.js" "$PROBE_DIR/"
  # The least Bun needs: its binary and ELF interpreter (granted by the
  # launcher), the exact shared libraries it links (no library directory),
  # /proc/self/maps (glibc's pthread_getattr_np reads it to find the main
  # thread's stack, and JSC aborts without it), the entry file and /dev/null.
  LIBS=()
  for lib in $(ldd "$BUN" | grep -o '/[^ ]*'); do LIBS+=(--read "$(readlink -f "$lib")"); done
  LIBC=$(readlink -f "$(ldd "$BUN" | grep -o '/[^ ]*libc\.so\.6')")
  BUN_FENCE=("$OUT/bunbase-launcher" --fs-ro "$PROBE_DIR" --workdir "$T/work"
             "${LIBS[@]}" --write-file /dev/null --read /proc/self/maps
             --max-fds 256 --cpu-seconds 30 --env HOME="$T/work" --report-fd 3
             --report-env BUNBASE_SANDBOX)
  check "bun: console.log(1+1) under the fence" escaped \
    sh -c 'test "$("$@" 3>/dev/null)" = 2' sh "${BUN_FENCE[@]}" -- "$BUN" -e 'console.log(1+1)'
  # Memory: JSC copes with RLIMIT_AS and RLIMIT_DATA (allocation failure is a
  # catchable RangeError), from a start-up baseline of roughly 300 MB.
  BOMB='const a=[];try{for(let i=0;i<100;i++)a.push(new Uint8Array(10<<20).fill(1));console.log("allocated")}catch(e){console.log("caught "+e.message)}'
  check "bun: control allocates 1 GB" escaped \
    sh -c 'test "$("$@")" = allocated' sh "$BUN" -e "$BOMB"
  # (An ASan launcher cannot live under RLIMIT_AS/DATA itself: its shadow
  # memory is terabytes of address space. -O2 build only.)
  if [ "$SANITIZE" = 0 ]; then
    check "bun: --data-bytes 640M stops 1 GB (caught)" escaped \
      sh -c 'test "$("$@" 3>/dev/null)" = "caught Out of memory"' sh "${BUN_FENCE[@]}" --data-bytes $((640 << 20)) -- "$BUN" -e "$BOMB"
    check "bun: --as-bytes 768M stops 1 GB (caught)" escaped \
      sh -c 'test "$("$@" 3>/dev/null)" = "caught Out of memory"' sh "${BUN_FENCE[@]}" --as-bytes $((768 << 20)) -- "$BUN" -e "$BOMB"
  fi
  # With children allowed, the worker can run and signal its own children (the
  # Landlock signal scope replaces the seccomp kill rule), and they inherit the fence.
  CHILDREN='const p=Bun.spawn(["/bin/sleep","10"]);setTimeout(()=>p.kill(),200);await p.exited;
const q=Bun.spawnSync(["/bin/sh","-c","kill -0 1 && echo ESCAPED; cat /etc/passwd >/dev/null 2>&1 && echo ESCAPED; echo done"]);
console.log(p.signalCode, q.stdout.toString().trim())'
  check "bun: --allow-child: spawn, kill own child; child fenced" escaped \
    sh -c 'test "$("$@" 3>/dev/null)" = "SIGTERM done"' sh "${BUN_FENCE[@]}" --allow-child \
    --exec /usr/bin --read /usr/lib -- "$BUN" -e "$CHILDREN"
  FDS='const fs=require("fs");const a=[];try{for(let i=0;i<64;i++)a.push(fs.openSync("/dev/null","r"))}catch(e){console.log(e.code)}'
  check "bun: control opens 64 files" escaped sh -c 'test -z "$("$@")"' sh "$BUN" -e "$FDS"
  check "bun: --max-fds 32 stops at EMFILE" escaped \
    sh -c 'test "$("$@" 3>/dev/null)" = EMFILE' sh "${BUN_FENCE[@]}" --max-fds 32 -- "$BUN" -e "$FDS"
  check "bun: --cpu-seconds 1 stops a spin" signal:XCPU \
    "${BUN_FENCE[@]}" --cpu-seconds 1 -- "$BUN" -e 'for(;;){}'
  out=$("${BUN_FENCE[@]}" -- "$BUN" "$PROBE_DIR/bun-probe.js" "$PORT" "$LIBC" 3>"$T/bun-report.json" 2>"$T/bun-stderr.txt")
  echo "bun report: $(cat "$T/bun-report.json")"
  echo "bun probe:  $out"
  mkdir -p "$T/control-cwd"
  ctl=$(cd "$T/control-cwd" && "$BUN" "$PROBE_DIR/bun-probe.js" "$PORT" "$LIBC" 2>/dev/null)
  rm -f /tmp/bunbase-fence-escape.txt  # written by the control's writeTmp probe
  echo "bun control: $ctl"
  verdict=$(node "$ROOT/test/sandbox-native/check-bun-probe.cjs" "$out" "$ctl" "$(cat "$T/bun-report.json")")
  printf '%s\n' "$verdict" | grep -v '^PASS='
  last=$(printf '%s\n' "$verdict" | tail -n 1)
  case "$last" in
    PASS=*) p=${last#PASS=}; p=${p%% *}; f=${last##*FAIL=}
            PASS=$((PASS + p)); FAIL=$((FAIL + f)) ;;
    *) FAIL=$((FAIL + 1)); echo "FAIL bun: checker crashed"; sed 's/^/     | /' "$T/bun-stderr.txt" ;;
  esac
  [ "${f:-1}" = 0 ] || { echo "bun stderr:"; sed 's/^/     | /' "$T/bun-stderr.txt" | tail -n 20; }
fi

echo "== the real Bun worker entry under the launcher"
ENTRY="$ROOT/dist/entry/bun.js"
[ -f "$ENTRY" ] || (cd "$ROOT" && node scripts/build-bun-entry.mjs >/dev/null 2>&1)
if [ -z "${BUN:-}" ] || [ ! -f "$ENTRY" ]; then
  check "bun entry present (npm run build)" escaped false
else
  mkdir -p "$T/entry-work"
  ENTRY_LIBS=()
  for lib in $(ldd "$BUN" | grep -o '/[^ ]*'); do ENTRY_LIBS+=("$(readlink -f "$lib")"); done
  verdict=$(timeout 60 node "$ROOT/test/sandbox-native/worker-entry.mjs" bun "$OUT/bunbase-launcher" \
    "$T/entry-work" "$BUN" "$ENTRY" "${ENTRY_LIBS[@]}" 2>&1)
  rc=$?
  printf '%s\n' "$verdict"
  ok=$(printf '%s\n' "$verdict" | grep -c '^ok')
  PASS=$((PASS + ok))
  if [ "$rc" != 0 ] || [ "$ok" = 0 ]; then FAIL=$((FAIL + (rc > 0 ? rc : 1))); fi
fi

echo "== the QuickJS-NG worker under the launcher (static: no file grants at all)"
WORKER=${BUNBASE_WORKER_BIN:-$ROOT/build/Release/bunbase-worker}
if [ ! -x "$WORKER" ]; then
  WORKER="$ROOT/build-sandbox-cmake/Release/bunbase-worker"
  (cmake -S "$ROOT" -B "$ROOT/build-sandbox-cmake" -DCMAKE_BUILD_TYPE=Release >/dev/null &&
    cmake --build "$ROOT/build-sandbox-cmake" --target bunbase-worker -j2 >/dev/null) 2>&1 | tail -5
fi
if [ ! -x "$WORKER" ]; then
  check "bunbase-worker built (scripts/setup.sh fetches its sources)" escaped false
else
  mkdir -p "$T/qjs-work"
  verdict=$(timeout 60 node "$ROOT/test/sandbox-native/worker-entry.mjs" quickjs "$OUT/bunbase-launcher" \
    "$T/qjs-work" "$WORKER" 2>&1)
  rc=$?
  printf '%s\n' "$verdict"
  ok=$(printf '%s\n' "$verdict" | grep -c '^ok')
  PASS=$((PASS + ok))
  if [ "$rc" != 0 ] || [ "$ok" = 0 ]; then FAIL=$((FAIL + (rc > 0 ? rc : 1))); fi
fi

echo
echo "$PASS passed, $FAIL failed"
[ "$FAIL" = 0 ]
