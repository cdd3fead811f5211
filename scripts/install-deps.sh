#!/usr/bin/env bash
# Install the npm packages from the lock file. `npm ci` refuses a lock file
# that names optional platform packages (other OSes' native builds) that the
# registry in use does not serve; `npm install` then installs the same locked
# versions and skips those optional packages, as npm ci would on this platform.
set -euo pipefail
cd "$(dirname "$0")/.."
# better-sqlite3 (the embedded store's engine) compiles its addon from source
# when no prebuilt binary can be fetched, which needs a C++ toolchain and
# Node's headers.
if ! command -v g++ >/dev/null || ! command -v make >/dev/null || ! command -v python3 >/dev/null; then
  echo "install-deps: installing the C++ toolchain better-sqlite3 builds with"
  apt-get update -qq && apt-get install -y -qq g++ make python3
fi
if ! npm ci --no-audit --no-fund; then
  echo "install-deps: npm ci refused the lock file; installing with npm install instead"
  npm install --no-audit --no-fund
fi
# The compiled build `npm start` runs (it would build on first start otherwise).
node scripts/ensure-build.mjs
