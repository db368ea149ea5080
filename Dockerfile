# nano server in a container (one node, its registry on a volume):
#   docker build -t nano .
#   docker run -p 8000:8000 -e NANO_TOKEN=<a long secret> -v nano-data:/var/lib/nano nano
# Listening beyond loopback needs a token: without NANO_TOKEN the server refuses to start and says why.
# Checked by test/deploy/dockerfile.test.ts (paths copied exist, every flag is one `nano server` takes).

# nano needs Node >= 20.19 (package.json engines); 22 is the maintained line.
ARG NODE_VERSION=22

FROM node:${NODE_VERSION}-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# `prepare` compiles src/, which is not here yet: the build runs below, once it is.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY schema ./schema
COPY templates ./templates
COPY console ./console
RUN npm run build && npm prune --omit=dev

FROM node:${NODE_VERSION}-bookworm-slim
ENV NODE_ENV=production
# A container's stdout goes to a log collector: one JSON object per line (--log-format json).
ENV NANO_LOG_FORMAT=json
WORKDIR /app
# What the npm package ships (package.json "files"), and its runtime dependencies.
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/schema ./schema
COPY --from=build /app/templates ./templates
COPY --from=build /app/console ./console
RUN mkdir -p /var/lib/nano && chown node:node /var/lib/nano
# Not root: a function is sandboxed by the runtime, and the process needs no privilege either.
USER node
VOLUME /var/lib/nano
EXPOSE 8000
# SIGTERM drains (GET /healthz/ready turns 503, requests in flight finish): give it
# --drain-delay + --drain-timeout (35 s by default) before a SIGKILL, e.g. docker stop -t 40.
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "dist/bin.js", "server"]
CMD ["--host", "0.0.0.0", "--port", "8000", "--data", "/var/lib/nano"]
