#!/usr/bin/env bash
# Build a minimal real Debian arm64 root (mmdebstrap --variant=apt, no
# recommends) into .fixtures/rootfs-arm64/root for the session tests
# (apt-get install ./local.deb in an --overlay session).
#
# Idempotent: a finished root (.done) is kept. Prints why and exits 0 when it
# cannot build, so the tests that need it skip with that reason.
#
# Foreign maintainer scripts need arm64 emulation while mmdebstrap runs. It
# runs in a user namespace of its own with a private binfmt_misc instance
# (Linux 6.7+) where qemu-aarch64-static is registered with F (the kernel
# opens it now, so the chroot needs no copy of it, and mmdebstrap sees the F
# flag under the name it looks for, qemu-aarch64). Nothing is registered in
# the machine's global instance. As real root, the namespace maps every ID
# onto itself (written from outside before the inner shell's exec gives it
# its capabilities), so the packages' owners are the real ones and
# --mode=root works inside; mknod is refused there, and mmdebstrap then binds
# /dev nodes instead.
set -u
cd "$(dirname "$0")/.."
DEST=.fixtures/rootfs-arm64
ROOT=$DEST/root
skip() { echo "fetch-rootfs: not building the Debian arm64 root: $*" >&2; exit 0; }
[ -f "$DEST/.done" ] && exit 0
[ "$(id -u)" = 0 ] || skip "needs root (the tree is root-owned like a real installation)"
command -v mmdebstrap >/dev/null || skip "mmdebstrap is not installed (scripts/install-deps.sh)"
QEMU=/usr/bin/qemu-aarch64-static
[ -x "$QEMU" ] || skip "$QEMU is missing (apt-get install qemu-user-static)"
# The handler comes from xarch's own codec, derived from a real arm64 binary.
sample=.fixtures/arm64/root/bin/busybox
[ -f "$sample" ] || skip "no arm64 fixtures to derive the handler from (scripts/fetch-fixtures.sh)"
rule=$(node bin/xarch.js rule derive "$sample" --name qemu-aarch64 --interpreter "$QEMU" --flags F) || skip "xarch is not built (npx tsc -p .)"

# The mirror and suite come from the host's own apt sources (deb822 or
# one-line), never from a host name written here.
codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
[ -n "$codename" ] || skip "cannot tell the host's Debian release from /etc/os-release"
mirror=$(
  { cat /etc/apt/sources.list.d/*.sources 2>/dev/null; echo; } | awk -v s="$codename" '
    /^[[:space:]]*$/ { if (uri != "" && hit && main) { print uri; exit } uri = ""; hit = 0; main = 0; next }
    tolower($1) == "uris:" { uri = $2 }
    tolower($1) == "suites:" { for (i = 2; i <= NF; i++) if ($i == s) hit = 1 }
    tolower($1) == "components:" { for (i = 2; i <= NF; i++) if ($i == "main") main = 1 }'
)
if [ -z "$mirror" ]; then
  mirror=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
    awk -v s="$codename" '$1 == "deb" { i = 2; if ($2 ~ /^\[/) { while ($i !~ /\]$/) i++; i++ } if ($(i+1) == s) { print $i; exit } }')
fi
[ -n "$mirror" ] || skip "no '$codename' main source in /etc/apt/sources.list*"

rm -rf "$DEST"
mkdir -p "$DEST"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkfifo "$tmp/go"
inner='
mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc || { echo "cannot mount a private binfmt_misc instance (Linux 6.7+)" >&2; exit 125; }
printf "%s" "$1" > /proc/sys/fs/binfmt_misc/register || exit 125
exec mmdebstrap --quiet --mode=root --variant=apt --architectures=arm64 --aptopt="APT::Install-Recommends \"false\"" --skip=check/qemu "$2" "$3" "$4"
'
start=$(date +%s)
# The first shell waits (without capabilities: its IDs are not mapped yet)
# until the maps are written, then execs the one that has them.
unshare --user --mount --pid --fork --kill-child sh -c 'read go < "$1"; shift; exec sh -c "$@"' sh "$tmp/go" "$inner" sh "$rule" "$codename" "$ROOT" "$mirror" &
ns=$!
for _ in $(seq 50); do [ "$(readlink /proc/$ns/ns/user)" != "$(readlink /proc/self/ns/user)" ] && break; sleep 0.1; done
echo "0 0 4294967295" > /proc/$ns/uid_map && echo "0 0 4294967295" > /proc/$ns/gid_map || { kill $ns; skip "cannot map IDs into a user namespace"; }
echo go > "$tmp/go"
if wait $ns && [ -x "$ROOT/usr/bin/apt-get" ]; then
  touch "$DEST/.done"
  echo "fetch-rootfs: built $ROOT ($codename arm64 from $mirror) in $(( $(date +%s) - start )) s, $(du -sh "$ROOT" | cut -f1)" >&2
else
  rm -rf "$DEST"
  skip "mmdebstrap failed (see above)"
fi
