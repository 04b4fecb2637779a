# Switchboard on the official Bun image. Build: docker build -t switchboard .
# Run:   docker run -p 3000:3000 -e NODE_ENV=production -e JWT_SECRET=… -e ADMIN_TOKEN=… \
#          [-e REDIS_URL=redis://redis:6379] switchboard
# Every setting is an environment variable (README, Configuration). TLS: mount the PEM files and
# set TLS_CERT_FILE/TLS_KEY_FILE; `docker kill -s HUP` reloads them.

# Build stage: all dependencies (Vite for the dashboard), then the dashboard bundle.
FROM oven/bun:1 AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN bun install --ignore-scripts
COPY . .
RUN bun x --bun vite build --logLevel warn

# Runtime stage: production dependencies, the server sources and the built dashboard.
FROM oven/bun:1
WORKDIR /app
ENV NODE_ENV=production PORT=3000 HOST=0.0.0.0
COPY package.json package-lock.json ./
RUN bun install --production --ignore-scripts
COPY server ./server
COPY shared ./shared
COPY --from=build /app/dist/dashboard ./dist/dashboard
USER bun
EXPOSE 3000
# /healthz answers {"status":"ok"} without auth; https when TLS is configured (any certificate).
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
  CMD ["bun", "-e", "const s = process.env.TLS_CERT_FILE ? 'https' : 'http'; fetch(s + '://127.0.0.1:' + (process.env.PORT || 3000) + '/healthz', { tls: { rejectUnauthorized: false } }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# SIGTERM (docker stop) drains: new connections refused, sockets closed with 1001, then exit 0.
CMD ["bun", "server/cli.ts", "start"]
