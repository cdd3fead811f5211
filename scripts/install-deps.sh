#!/usr/bin/env bash
# Install the npm packages from the lock file. `npm ci` refuses a lock file
# that names optional platform packages (other OSes' native builds) that the
# registry in use does not serve; `npm install` then installs the same locked
# versions and skips those optional packages, as npm ci would on this platform.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! npm ci --no-audit --no-fund; then
  echo "install-deps: npm ci refused the lock file; installing with npm install instead"
  npm install --no-audit --no-fund
fi
