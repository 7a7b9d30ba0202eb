# tacit: lazy consensus for GitHub.
#
#   docker build -t tacit .
#   docker run --env-file .env -p 3000:3000 -v tacit-data:/data tacit
#
# The image runs `tacit serve` (the webhook server and the scheduler, one process).
# Configuration comes from the environment; see .env.example.

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
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/*

# An unprivileged user, and the directory for the SQLite database.
RUN groupadd --system --gid 10001 tacit \
    && useradd --system --uid 10001 --gid tacit --home-dir /data --shell /usr/sbin/nologin tacit \
    && mkdir -p /data \
    && chown tacit:tacit /data

COPY --from=builder /usr/local/bin/tacit /usr/local/bin/tacit

# Defaults for a container; anything set at `docker run` (or in fly.toml) wins.
# With PostgreSQL (DATABASE_URL=postgres://...), /data is not used at all.
ENV HOST=0.0.0.0 \
    PORT=3000 \
    DATABASE_URL=sqlite:///data/tacit.db

# The working directory is where tacit reads an optional `.env` file.
WORKDIR /data
# A volume mounted here must be writable by uid 10001. A fresh Docker named volume
# copies this directory's owner; a host directory or another platform's volume
# may need `chown 10001:10001` once.
VOLUME ["/data"]
USER tacit:tacit

EXPOSE 3000
ENTRYPOINT ["/usr/local/bin/tacit"]
CMD ["serve"]
