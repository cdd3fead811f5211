#!/usr/bin/env bash
# Quick start on a fresh Debian machine with Node 20: make sure Redis runs,
# install the npm packages, and start Postroom on its embedded defaults
# (the embedded MongoDB-compatible store kept on disk in var/data, drop-folder
# inbox, outbox folder, template agent) with config/quickstart.json.
set -euo pipefail
cd "$(dirname "$0")/.."

redis_answers() {
  command -v redis-cli >/dev/null && [ "$(redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null)" = "PONG" ]
}

if ! redis_answers; then
  if ! command -v redis-server >/dev/null; then
    echo "quickstart: installing redis-server (Debian package)"
    if [ "$(id -u)" -eq 0 ]; then apt-get update -qq && apt-get install -y -qq redis-server
    else sudo apt-get update -qq && sudo apt-get install -y -qq redis-server; fi
  fi
  echo "quickstart: starting redis-server on 127.0.0.1:6379 (its queues kept in var/redis)"
  mkdir -p var/redis
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --dir "$PWD/var/redis" --appendonly yes
  for _ in $(seq 1 50); do redis_answers && break; sleep 0.1; done
fi

[ -d node_modules ] || bash scripts/install-deps.sh
mkdir -p var/drop var/outbox var/data
export POSTROOM_CONFIG="${POSTROOM_CONFIG:-config/quickstart.json}"
exec npm start
