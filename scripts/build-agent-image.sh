#!/bin/bash
# Build the xarch agent image (Containerfile) with the local engine, from two
# inputs kept under .fixtures for the next build and for
# test/agent-image.test.ts:
#   - the Debian base root: mmdebstrap --variant=essential plus only what the
#     agent needs (nodejs, mount), no apt and no QEMU package, as a tar;
#   - the emulator store set: xarch's own `emulators add apt --suite SUITE`
#     (the static emulators of Debian's package, apt's signature chain
#     verifying the download, each target probed in a private instance).
# Both take the suite from a private apt configuration built from this
# host's own sources with only the suite changed (xarch's privateAptConfig),
# so no mirror host name is written here.
#
# Usage: bash scripts/build-agent-image.sh [--prepare] [TAG]
#   --prepare  only make the root and the store set (no engine needed; what
#              scripts/fetch-fixtures.sh runs). Exits 1 when they cannot be
#              made although mmdebstrap and root are there; exits 0 with the
#              reason on stderr where they truly cannot (not root, no
#              mmdebstrap).
# DOCKER_HOST picks the engine. XARCH_AGENT_SET pins the set by its id (a
# digest of the emulator files; default: the newest set in the store).
# Prints the image's set id on the last line of stdout.
set -euo pipefail
cd "$(dirname "$0")/.."
prepare=0
if [ "${1:-}" = --prepare ]; then prepare=1; shift; fi
TAG=${1:-xarch-agent:latest}
SUITE=${XARCH_AGENT_SUITE:-trixie}
ROOT_TAR=${XARCH_AGENT_ROOT_TAR:-.fixtures/agent-root-$SUITE.tar}
STORE=${XARCH_AGENT_STORE:-.fixtures/agent-store}
say() { echo "build-agent-image: $*" >&2; }
cannot() { say "not building the agent image's inputs: $*"; exit 0; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
[ -f dist/src/cli/main.js ] || npm run --silent build

if [ ! -s "$ROOT_TAR" ] || [ ! -d "$STORE/sets" ]; then
  [ "$(id -u)" = 0 ] || cannot "needs root (mmdebstrap --mode=root, the store's probes)"
  command -v mmdebstrap >/dev/null || cannot "mmdebstrap is not installed (scripts/install-deps.sh)"
  [ $prepare = 0 ] || command -v dockerd >/dev/null || cannot "no docker engine to build the image with (docker.io)"
fi

if [ ! -s "$ROOT_TAR" ]; then
  node --input-type=module -e 'const { privateAptConfig } = await import("./dist/src/emulators/sources.js"); privateAptConfig(process.argv[1], process.argv[2], "/etc");' "$work" "$SUITE"
  sources=("$work"/apt/etc/sources.list.d/*)
  mkdir -p "$(dirname "$ROOT_TAR")"
  start=$(date +%s)
  # The documentation and translations are excluded (copyright files kept):
  # the agent reads none of them.
  mmdebstrap --quiet --variant=essential --include=nodejs,mount \
    --aptopt='APT::Install-Recommends "false"' \
    --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright' \
    --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-exclude=/usr/share/info/*' \
    --format=tar "$SUITE" "$work/root.tar" "${sources[@]}"
  mv "$work/root.tar" "$ROOT_TAR"
  say "built $ROOT_TAR ($SUITE, from this host's sources) in $(( $(date +%s) - start )) s, $(du -h "$ROOT_TAR" | cut -f1)"
fi

if [ ! -d "$STORE/sets" ] || [ -z "$(ls "$STORE/sets")" ]; then
  start=$(date +%s)
  node bin/xarch.js emulators add apt --suite "$SUITE" --store "$STORE" >&2
  say "added the $SUITE emulator set to $STORE in $(( $(date +%s) - start )) s"
fi

SET=${XARCH_AGENT_SET:-$(node bin/xarch.js emulators list --store "$STORE" --json | node -e '
  const sets = require("fs").readFileSync(0, "utf8").split("\n").filter(Boolean).map(JSON.parse).filter((l) => l.kind === "set");
  if (sets.length) console.log(sets[sets.length - 1].id);')}
[ -n "$SET" ] && [ -f "$STORE/sets/$SET/manifest.json" ] || { say "no emulator set ${SET:-at all} in $STORE"; exit 1; }
[ $prepare = 1 ] && { echo "$SET"; exit 0; }

# The build context holds only what the image takes: the built CLI and the
# one set the image runs (the store around it stays here).
ctx=$work/context
mkdir -p "$ctx/dist" "$ctx/store/sets"
cp package.json "$ctx/"
cp -r bin "$ctx/"
cp -r dist/src "$ctx/dist/"
cp -a "$STORE/sets/$SET" "$ctx/store/sets/"
# The base is tagged by its tar's digest: a root made again is imported again.
BASE=xarch-debian-$SUITE:$(sha256sum "$ROOT_TAR" | cut -c1-16)
docker image inspect "$BASE" >/dev/null 2>&1 || docker import "$ROOT_TAR" "$BASE" >/dev/null
DOCKER_BUILDKIT=0 docker build -q -f Containerfile --build-arg BASE="$BASE" --build-arg SET="$SET" -t "$TAG" "$ctx" >&2
say "built $TAG with emulator set $SET; its DaemonSet: xarch export --format kubernetes --image $TAG --emulators $SET"
echo "$SET"
