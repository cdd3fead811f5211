# Dependencies in the full image: better-sqlite3 (the embedded store's engine)
# compiles its addon when no prebuilt binary fits, which needs a toolchain.
FROM node:20-bookworm AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

FROM node:20-bookworm-slim
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json package-lock.json tsconfig.json ./
COPY src ./src
COPY workers ./workers
COPY scripts ./scripts
COPY config ./config
# var/ holds the drop and outbox folders and, without MONGODB_URI, the
# embedded store's data directory (var/data): keep it on a volume.
RUN mkdir -p /app/var/data && chown -R node:node /app/var
VOLUME /app/var
ENV HOST=0.0.0.0 PORT=8080 NODE_ENV=production
EXPOSE 8080
USER node
CMD ["node", "--import", "tsx", "workers/postroom.ts"]
