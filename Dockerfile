# Likewise as a container: one static-ish binary with the frontend inside.
#
#   docker build -t likewise .
#   docker run --rm -p 8080:8080 likewise
#
# Stage 1 builds the frontend (Trunk, wasm-bindgen, wasm-opt — installed by
# scripts/setup.sh, exactly as for local builds) and then the release server,
# which embeds dist/. Stage 2 is Debian slim with that one binary.
# Not built in the development environment (no container registry is
# reachable there); see docs/hosting.md.

FROM rust:1-bookworm AS builder
WORKDIR /src
# The tools first, in their own layer: they take ~15 minutes and change only
# when setup.sh or the wasm-bindgen version in Cargo.lock does.
COPY scripts/setup.sh scripts/setup.sh
COPY Cargo.lock Cargo.lock
RUN ./scripts/setup.sh
COPY . .
RUN ./scripts/build-frontend.sh \
 && test -f dist/index.html \
 && cargo build --release --locked -p backend --bin likewise

FROM debian:bookworm-slim
# A user of its own: no privileges, no shell; the only files it writes are
# the rooms' event log, in a volume at /data.
RUN useradd --system --no-create-home --shell /usr/sbin/nologin likewise \
 && mkdir /data && chown likewise /data
COPY --from=builder /src/target/release/likewise /usr/local/bin/likewise
USER likewise
VOLUME /data
ENV LIKEWISE_DATA_DIR=/data
EXPOSE 8080
# Inside a container the server must listen on every interface. Behind a
# reverse proxy add --trust-proxy (CMD below), and only then.
ENV LIKEWISE_ADDR=0.0.0.0:8080 RUST_LOG=info
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/likewise"]
CMD []
