# Dockerfile — `ledger` in a slim Debian image: the Swift image builds it with tools/install, the
# runtime image holds the binary and the two C libraries it links (libpq, SQLite).
# Not built on the machine it was written on (no Docker, no internet): see docs/deploy.md.
#
#   docker build -t ledger .
#   docker run --rm --env-file owner.env ledger migrate up
#   docker run -d --env-file serve.env -p 8080:8080 ledger

# The Swift release to build with; the package needs 6.1 or newer and was tested with 6.3.
ARG SWIFT_IMAGE=swift:6.3-bookworm

FROM ${SWIFT_IMAGE} AS build
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpq-dev libsqlite3-dev pkg-config \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
# Release build with the Swift runtime linked in (--static-swift-stdlib), into /out/bin/ledger.
RUN tools/install --prefix /out

FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpq5 libsqlite3-0 libstdc++6 ca-certificates tzdata \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --create-home --home-dir /var/lib/ledger --shell /usr/sbin/nologin ledger
COPY --from=build /out/bin/ledger /usr/local/bin/ledger
USER ledger
WORKDIR /var/lib/ledger
ENV LEDGER_SNAPSHOT_DIR=/var/lib/ledger/snapshots
EXPOSE 8080
ENTRYPOINT ["ledger"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8080"]
