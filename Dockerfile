# tacit: lazy consensus for GitHub.
#
#   docker build -t tacit .
#   docker run --env-file .env -p 3000:3000 -v tacit-data:/data tacit
#
# The image runs `tacit serve` (the webhook server and the scheduler, one process) as
# the unprivileged user tacit (uid 10001). Configuration comes from the environment;
# see .env.example. Backups: `docker exec <container> tacit backup backup.db`.

# ---------------------------------------------------------------------------
# Build
FROM rust:1.95-bookworm AS builder
WORKDIR /build

# Dependencies first, in their own layer, so that a change to tacit's own code does
# not rebuild all of them: build once against stub sources with the real manifest
# and lock file.
COPY Cargo.toml Cargo.lock ./
RUN mkdir src \
    && echo 'fn main() {}' > src/main.rs \
    && touch src/lib.rs \
    && cargo build --release --locked \
    && rm -rf src

# Then tacit itself. `migrations/` and `app.yml` (for `tacit setup`) are embedded in
# the binary at compile time, so they are needed here and not at run time. The sources
# are touched so that cargo never mistakes them for the stubs it has just built.
COPY src ./src
COPY migrations ./migrations
COPY app.yml ./
RUN touch src/main.rs src/lib.rs \
    && cargo build --release --locked \
    && install -m 0755 target/release/tacit /usr/local/bin/tacit

# ---------------------------------------------------------------------------
# Run
FROM debian:bookworm-slim

# tacit speaks TLS to GitHub with rustls and the system's root certificates.
# Not pinned to a version: Debian's security updates replace package versions in
# place, so a pinned one would stop the image from building.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/*

# An unprivileged user, and the directory for the SQLite database.
RUN groupadd --system --gid 10001 tacit \
    && useradd --system --uid 10001 --gid tacit --home-dir /data --shell /usr/sbin/nologin tacit \
    && mkdir -p /data \
    && chown tacit:tacit /data

# The binary, and in front of it on PATH the script that runs it as the user tacit
# (docker/entrypoint.sh): the container starts as root only so that the script can
# hand a fresh volume at /data to tacit (a Fly.io volume, a host directory, arrive
# owned by root); tacit itself never runs as root. `tacit ...` in `docker exec` or
# `fly ssh console -C` goes through the same script.
COPY --from=builder /usr/local/bin/tacit /usr/local/lib/tacit/tacit
COPY docker/entrypoint.sh /usr/local/bin/tacit

# Defaults for a container; anything set at `docker run` (or in fly.toml) wins.
# With PostgreSQL (DATABASE_URL=postgres://...), /data is not used at all.
ENV HOST=0.0.0.0 \
    PORT=3000 \
    DATABASE_URL=sqlite:///data/tacit.db

# The working directory is where tacit reads an optional `.env` file, and where
# `tacit backup NAME` writes NAME (a consistent copy of the database; see
# docs/operations.md).
WORKDIR /data
VOLUME ["/data"]

EXPOSE 3000
# `tacit healthcheck` asks the server in this container for /healthz (200 while its
# database answers); the image needs no curl for it.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["/usr/local/bin/tacit", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/tacit"]
CMD ["serve"]
