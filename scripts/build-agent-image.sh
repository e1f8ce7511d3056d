#!/bin/bash
# Build the xarch agent image (Containerfile) with the local engine:
# the Debian base from mmdebstrap (kept as $XARCH_AGENT_ROOT_TAR for the next
# build and for test/agent-image.test.ts), imported, then the Containerfile.
# Usage: bash scripts/build-agent-image.sh [TAG]   (DOCKER_HOST picks the engine)
set -euo pipefail
cd "$(dirname "$0")/.."
TAG=${1:-xarch-agent:latest}
BASE=xarch-debian-trixie:latest
ROOT_TAR=${XARCH_AGENT_ROOT_TAR:-.fixtures/agent-root-trixie.tar}
if [ ! -s "$ROOT_TAR" ]; then
  mkdir -p "$(dirname "$ROOT_TAR")"
  mmdebstrap --variant=apt --include=nodejs,qemu-user-static,mount,ca-certificates trixie "$ROOT_TAR.tmp"
  mv "$ROOT_TAR.tmp" "$ROOT_TAR"
fi
docker image inspect "$BASE" >/dev/null 2>&1 || docker import "$ROOT_TAR" "$BASE"
npx tsc -p .
DOCKER_BUILDKIT=0 docker build -f Containerfile --build-arg BASE="$BASE" -t "$TAG" .
