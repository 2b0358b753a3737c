# syntax=docker/dockerfile:1
# Container image of iam-server: a static binary (CGO off; SQLite is pure Go) on distroless
# static, running as the image's nonroot user (65532), state in the volume /data.
#
#   docker build --build-arg VERSION=0.1.0 --build-arg COMMIT=$(git rev-parse --short=12 HEAD) -t iamref/iam-server .
#   docker run -d --name iam -p 8080:8080 -v iam-data:/data iamref/iam-server
#   docker cp iam:/data/admin-token - | tar -xO     # the first start's admin token (no shell in the image)
#
# Break-glass (every admin token lost), with the server stopped so the database is free; the
# empty IAM_ADMIN_TOKEN_FILE prints the new token instead of writing it to the volume:
#   docker stop iam
#   docker run --rm -v iam-data:/data -e IAM_ADMIN_TOKEN_FILE= iamref/iam-server admin-token --revoke-bootstrap
#   docker start iam
# Health: probe GET /healthz over HTTP (the image has no shell or curl for a HEALTHCHECK).

ARG GO_VERSION=1.26

FROM --platform=$BUILDPLATFORM golang:${GO_VERSION} AS build
WORKDIR /src
ENV CGO_ENABLED=0 GOFLAGS=-buildvcs=false GOTOOLCHAIN=local
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
ARG VERSION=0.0.0-dev
ARG COMMIT=unknown
ARG TARGETOS
ARG TARGETARCH
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    GOOS=$TARGETOS GOARCH=$TARGETARCH go build -trimpath \
      -ldflags "-s -w -X github.com/iamref/iam/internal/version.Version=${VERSION} -X github.com/iamref/iam/internal/version.Commit=${COMMIT}" \
      -o /out/iam-server ./cmd/iam-server \
 && mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/iam-server /usr/local/bin/iam-server
# The volume's mount point, owned by nonroot so that a new named volume is writable.
COPY --from=build --chown=65532:65532 --chmod=0700 /out/data /data
USER 65532:65532
# Every flag has an IAM_<FLAG> variable; these make the image's defaults. Add IAM_TLS_CERT and
# IAM_TLS_KEY (files mounted read-only) to serve HTTPS.
ENV IAM_ADDR=0.0.0.0:8080 \
    IAM_DB=/data/iam.db \
    IAM_ORG=acme \
    IAM_ADMIN_TOKEN_FILE=/data/admin-token \
    IAM_LOG_FORMAT=json
VOLUME ["/data"]
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/iam-server"]
CMD ["serve"]
