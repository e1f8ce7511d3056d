#!/usr/bin/env bash
# Set up a fresh Debian 12 machine for xarch: Debian packages (QEMU user-mode
# emulators and test tools), npm packages, and the TypeScript build.
set -eu
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh || echo "setup: some Debian packages are missing (see above); dependent features will say so" >&2
if [ -f package-lock.json ]; then npm ci --no-audit --no-fund --loglevel=error; else npm install --no-audit --no-fund --loglevel=error; fi
npm run --silent build
