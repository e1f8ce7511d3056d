#!/usr/bin/env bash
# Fetch real foreign binaries from Debian's archive for the tests and
# benchmarks: busybox-static, hello and libc6 for each architecture, unpacked
# into .fixtures/<debian-arch>/root (a minimal root filesystem with /bin/sh).
# Idempotent: an architecture already unpacked is skipped. Needs the foreign
# architectures added by scripts/install-deps.sh.
set -u
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh || echo "fetch-fixtures: some host packages are missing; tests that need them will skip" >&2
ARCHES="${XARCH_FOREIGN_ARCHES:-arm64 armhf armel i386 mips64el mipsel ppc64el s390x}"
PKGS="${XARCH_FIXTURE_PKGS:-busybox-static hello libc6}"
DEST=.fixtures
mkdir -p "$DEST/debs"
status=0
for a in $ARCHES; do
  root="$DEST/$a/root"
  [ -f "$DEST/$a/.done" ] && continue
  rm -rf "$DEST/$a"; mkdir -p "$root"
  ok=1
  for p in $PKGS; do
    deb=$(ls "$DEST/debs/${p}_"*"_$a.deb" 2>/dev/null | head -1)
    if [ -z "$deb" ]; then
      (cd "$DEST/debs" && apt-get download -qq "$p:$a" >/dev/null 2>&1)
      deb=$(ls "$DEST/debs/${p}_"*"_$a.deb" 2>/dev/null | head -1)
    fi
    if [ -z "$deb" ]; then echo "fetch-fixtures: could not download $p:$a" >&2; ok=0; continue; fi
    dpkg -x "$deb" "$root" || ok=0
  done
  if [ -x "$root/bin/busybox" ]; then
    for t in sh ls cat echo uname wc true false sleep id env mkdir rm; do
      [ -e "$root/bin/$t" ] || ln -s busybox "$root/bin/$t"
    done
  fi
  mkdir -p "$root/tmp" "$root/proc" "$root/dev" "$root/sys" "$root/etc"
  if [ $ok = 1 ]; then touch "$DEST/$a/.done"; else status=1; fi
done
# The host's own static busybox, the native side of `xarch bench` (the same
# program and input run natively and under each target's QEMU).
host=$(dpkg --print-architecture 2>/dev/null || echo amd64)
if [ ! -x "$DEST/$host/root/bin/busybox" ]; then
  deb=$(ls "$DEST/debs/busybox-static_"*"_$host.deb" 2>/dev/null | head -1)
  [ -n "$deb" ] || { (cd "$DEST/debs" && apt-get download -qq "busybox-static:$host" >/dev/null 2>&1); deb=$(ls "$DEST/debs/busybox-static_"*"_$host.deb" 2>/dev/null | head -1); }
  if [ -n "$deb" ]; then mkdir -p "$DEST/$host/root" && dpkg -x "$deb" "$DEST/$host/root"
  else echo "fetch-fixtures: could not download busybox-static:$host (xarch bench has no native side)" >&2; fi
fi
# Host tools the tests compare against without installing them (installing
# binfmt-support would enable its formats in the machine's global instance):
# unpacked, never configured.
tools="$DEST/tools"
if [ ! -x "$tools/binfmt-support/usr/sbin/update-binfmts" ]; then
  mkdir -p "$tools"
  (cd "$tools" && rm -f binfmt-support_*.deb && apt-get download -qq binfmt-support >/dev/null 2>&1) &&
    dpkg -x "$tools"/binfmt-support_*.deb "$tools/binfmt-support" ||
    echo "fetch-fixtures: could not fetch binfmt-support (the update-binfmts comparison will skip)" >&2
fi
# A real Debian arm64 root built by mmdebstrap (a few minutes, once).
bash scripts/fetch-rootfs.sh
# The agent image's inputs (a Debian trixie base root and an emulator store
# set, about a minute, once) for test/agent-image.test.ts. Where they could
# be made but were not, this fails, so CI does not pass with that test
# skipped; where the engine or mmdebstrap cannot run, the script says why.
if ! bash scripts/build-agent-image.sh --prepare >/dev/null; then
  echo "fetch-fixtures: could not make the agent image's base root or emulator set (see above)" >&2
  exit 1
fi
exit 0
