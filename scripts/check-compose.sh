#!/usr/bin/env bash
# Validate docker-compose.yml and docker-compose.demo.yml offline with
# Debian's docker-compose (v1) `config -q`, installing it with apt-get when
# missing. Runs on a scratch copy with .env made from .env.example (and the
# config file the production compose file mounts), so nothing in the checkout changes.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v docker-compose >/dev/null; then
  echo "check-compose: installing docker-compose with apt-get"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends docker-compose
fi
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
cp docker-compose.yml docker-compose.demo.yml "$scratch/"
sed -e 's/^POSTROOM_ADMIN_API_KEY=$/POSTROOM_ADMIN_API_KEY=pk_check/' .env.example > "$scratch/.env"
mkdir -p "$scratch/config" && cp config/production.example.json "$scratch/config/postroom.json"
for file in docker-compose.yml docker-compose.demo.yml; do
  docker-compose --project-directory "$scratch" -f "$scratch/$file" config -q
  echo "check-compose: $file is valid"
done
