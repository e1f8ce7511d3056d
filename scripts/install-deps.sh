#!/usr/bin/env bash
# Install what xarch's tests and benchmarks need on a fresh Debian 12 machine.
# Safe to re-run: it only installs what is missing. `apt-get update` may exit
# non-zero when one foreign index on the mirror is out of sync, so its status
# is ignored and each needed package is checked afterwards instead.
set -u
ARCHES="${XARCH_FOREIGN_ARCHES:-arm64 armhf armel i386 mips64el mipsel ppc64el s390x}"
PKGS="${XARCH_DEB_PKGS:-qemu-user-static pax-utils binutils file proot hyperfine zstd docker.io umoci skopeo xz-utils bzip2 strace gcc libc6-dev uidmap python3-yaml mmdebstrap systemd rpm cpio zsh fish groff-base man-db}"
export DEBIAN_FRONTEND=noninteractive

missing=()
for p in $PKGS; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
have_arches=$(dpkg --print-foreign-architectures | tr '\n' ' ')
need_update=0
for a in $ARCHES; do
  case " $have_arches " in *" $a "*) ;; *) dpkg --add-architecture "$a"; need_update=1 ;; esac
done
if [ ${#missing[@]} -gt 0 ] || [ $need_update = 1 ]; then
  apt-get update -qq >/dev/null 2>&1 || echo "install-deps: apt-get update reported an error (ignored; packages are checked below)" >&2
fi
if [ ${#missing[@]} -gt 0 ]; then
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1 || true
fi
fail=0
for p in $PKGS; do
  dpkg -s "$p" >/dev/null 2>&1 || { echo "install-deps: could not install $p" >&2; fail=1; }
done
exit $fail
