# syntax=docker/dockerfile:1
# One image for every process: `busca-ativa <command>` (controller, worker, webhook, migrate, cleanup,
# followup, sandbox). Build: docker build -t busca-ativa:dev .
#
# The build stage compiles TypeScript (tsc -> dist/); the runtime stage has production dependencies only,
# owned by root and read-only to the numeric non-root user the processes run as (10001, the chart's
# securityContext.runAsUser), so the image works with readOnlyRootFilesystem.

ARG NODE_IMAGE=node:24-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY crds ./crds
COPY lib ./lib
COPY controller ./controller
COPY worker ./worker
COPY cli ./cli
# The sandbox WhatsApp server, compiled only if the CLI imports it (`busca-ativa sandbox`).
COPY test/sandbox ./test/sandbox
# tsc emits JavaScript only: the generated CRD YAML the CLI may install travels beside its module.
RUN npm run build && cp crds/*.yaml dist/crds/

FROM ${NODE_IMAGE} AS runtime
ARG VERSION=0.1.0
ARG REVISION=unknown
ARG CREATED=unknown
LABEL org.opencontainers.image.title="busca-ativa" \
      org.opencontainers.image.description="Kubernetes operator for WhatsApp outreach over hospital waiting lists (busca ativa)" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.source="https://github.com/busca-ativa/busca-ativa-operator" \
      org.opencontainers.image.documentation="https://github.com/busca-ativa/busca-ativa-operator/blob/main/docs/install.md" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}" \
      org.opencontainers.image.base.name="docker.io/library/node:24-bookworm-slim"
ENV NODE_ENV=production \
    HOME=/tmp \
    NPM_CONFIG_UPDATE_NOTIFIER=false
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
# --ignore-scripts: no install script of a dependency runs in the image (none is needed at run time).
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force && rm -rf /tmp/*
COPY --from=build /app/dist ./dist
USER 10001:10001
ENTRYPOINT ["node", "dist/cli/main.js"]
