# The compiled build (dist/), as `npm start` runs it: tsc needs the dev
# dependencies, so it runs in a stage of its own.
FROM node:20-bookworm AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts ./scripts
COPY src ./src
COPY workers ./workers
RUN npm run build

# Production dependencies in the full image: better-sqlite3 (the embedded
# store's engine) compiles its addon when no prebuilt binary fits, which
# needs a toolchain.
FROM node:20-bookworm AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

FROM node:20-bookworm-slim
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json package-lock.json tsconfig.json ./
# The backup and copy-store scripts run from source (tsx is a dependency);
# scripts/healthcheck.mjs is the compose files' healthcheck.
COPY src ./src
COPY scripts ./scripts
COPY config ./config
# The `postroom` CLI (it runs dist/workers/cli.js):
#   docker compose exec api node bin/postroom.mjs doctor
COPY bin ./bin
# var/ holds the drop and outbox folders and, without MONGODB_URI, the
# embedded store's data directory (var/data): keep it on a volume.
RUN mkdir -p /app/var/data && chown -R node:node /app/var
VOLUME /app/var
# As `npm start`: fewer malloc arenas and a small young generation keep the
# heap close to what Postroom holds (see the README's Memory section).
ENV HOST=0.0.0.0 PORT=8080 NODE_ENV=production MALLOC_ARENA_MAX=2
EXPOSE 8080
USER node
# node runs as PID 1 (no npm or shell between): `docker stop` sends SIGTERM to
# Postroom itself, which handles it and stops gracefully.
CMD ["node", "--max-semi-space-size=2", "dist/workers/postroom.js"]
