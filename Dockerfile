# Latchkey in a container: `docker build -t latchkey .`, then see deploy/compose.yaml and
# docs/deploy.md. Two stages: a Rust toolchain builds the release binary, and the image that
# runs it is Debian slim with that one file, a non-root user and a data directory.

ARG RUST_VERSION=1.95
ARG DEBIAN_RELEASE=bookworm

FROM rust:${RUST_VERSION}-slim-${DEBIAN_RELEASE} AS build
WORKDIR /src

# Dependencies first, against placeholder sources: this layer is rebuilt only when
# Cargo.toml or Cargo.lock change, so a change to Latchkey's own code recompiles Latchkey
# alone (the dependencies, SQLite's C build among them, take most of a cold build).
COPY Cargo.toml Cargo.lock ./
RUN mkdir -p src benches \
    && echo 'fn main() {}' > src/main.rs \
    && touch src/lib.rs \
    && echo 'fn main() {}' > benches/load.rs \
    && echo 'fn main() {}' > benches/render.rs \
    && cargo build --release --locked --bin latchkey \
    && rm -rf src benches target/release/.fingerprint/latchkey-* target/release/deps/latchkey-* \
        target/release/deps/liblatchkey-*

# Everything the binary embeds at compile time: templates, translations, migrations and the
# common-password list are part of it, so the runtime image needs no other file.
COPY src src
COPY benches benches
COPY migrations migrations
COPY templates templates
COPY locales locales
COPY data data
RUN cargo build --release --locked --bin latchkey \
    && install -D -m 0755 target/release/latchkey /out/latchkey


FROM debian:${DEBIAN_RELEASE}-slim AS runtime

# A fixed uid, so that a volume's owner is predictable (chown 10001 on the host).
RUN groupadd --gid 10001 latchkey \
    && useradd --uid 10001 --gid latchkey --no-create-home --home-dir /var/lib/latchkey \
        --shell /usr/sbin/nologin latchkey \
    && install -d -o latchkey -g latchkey -m 0700 /var/lib/latchkey

COPY --from=build /out/latchkey /usr/local/bin/latchkey

# TLS roots for SMTP, webhooks and PostgreSQL are compiled in (webpki-roots), so no
# ca-certificates.
# The defaults suit a container: listen on every interface, and keep the SQLite database
# (and its generated latchkey.key) in the volume. With PostgreSQL, set LATCHKEY_DATABASE_URL
# and LATCHKEY_SECRET instead; the volume then stays empty.
ENV LATCHKEY_LISTEN=0.0.0.0:8080 \
    LATCHKEY_DATABASE_URL=sqlite:///var/lib/latchkey/latchkey.db

USER latchkey:latchkey
WORKDIR /var/lib/latchkey
VOLUME ["/var/lib/latchkey"]
EXPOSE 8080

# Ready means the database answers and is migrated. The image has no curl: bash's /dev/tcp
# sends the request, to the port of LATCHKEY_LISTEN. Only `serve` answers HTTP: give `worker`
# and `migrate` containers `--no-healthcheck` (compose: `healthcheck: disable: true`).
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
    CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/${LATCHKEY_LISTEN##*:} && printf 'GET /readyz HTTP/1.0\\r\\n\\r\\n' >&3 && head -n1 <&3 | grep -q ' 200 '"]

# SIGTERM (docker stop) drains requests and stops the outbox worker cleanly.
STOPSIGNAL SIGTERM
ENTRYPOINT ["latchkey"]
CMD ["serve"]
