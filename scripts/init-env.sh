#!/usr/bin/env sh
# Make .env for docker-compose.yml from .env.example, filling every empty key
# setting with a fresh random value. The admin API key is printed this once:
# Postroom keeps only its hash. An existing .env is never overwritten.
set -eu
cd "$(dirname "$0")/.."
if [ -e .env ]; then
  echo "init-env: .env exists already; nothing changed" >&2
  exit 1
fi
random() { od -An -N32 -tx1 /dev/urandom | tr -d ' \n'; }
admin_key="pk_$(random)"
umask 077
sed \
  -e "s/^POSTROOM_ADMIN_API_KEY=\$/POSTROOM_ADMIN_API_KEY=${admin_key}/" \
  -e "s/^POSTROOM_SECRET_KEY=\$/POSTROOM_SECRET_KEY=$(random)/" \
  -e "s/^POSTROOM_URL_SIGNING_KEY=\$/POSTROOM_URL_SIGNING_KEY=$(random)/" \
  .env.example > .env
echo "init-env: wrote .env (mode 600). The admin API key, shown only now:"
echo
echo "  ${admin_key}"
echo
echo "Use it as 'Authorization: Bearer <key>'. Lost it? Set a new one in .env and restart the api."
