# Container image of belfry: a multi-stage build (Rust builder with --locked, Debian slim runtime)
# that runs as the non-root user `belfry` with its state in the volume /var/lib/belfry.
# Not built in this project's CI (no container engine there); see docs/install.md.
FROM rust:1-bookworm AS builder
WORKDIR /src
COPY . .
RUN cargo build --release --locked -p belfry-cli \
    && strip target/release/belfry

FROM debian:bookworm-slim
# ca-certificates: webhooks and mail over TLS. No curl: the health check uses bash's /dev/tcp.
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 belfry \
    && useradd --system --uid 10001 --gid belfry --home-dir /var/lib/belfry --shell /usr/sbin/nologin belfry \
    && install -d -o belfry -g belfry -m 0750 /var/lib/belfry
COPY --from=builder /src/target/release/belfry /usr/bin/belfry
USER 10001:10001
VOLUME /var/lib/belfry
# 8080 HTTP API, 8946 gossip (UDP and TCP), 6868 internal RPC.
EXPOSE 8080 8946/tcp 8946/udp 6868
# /health answers without a token even with ACLs on.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s \
    CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/8080 && printf 'GET /health HTTP/1.0\\r\\nHost: localhost\\r\\n\\r\\n' >&3 && head -n1 <&3 | grep -q ' 200 '"]
ENTRYPOINT ["/usr/bin/belfry"]
# One server on its own, API on every interface with ACLs (protected mode requires them off
# loopback): run `belfry acl bootstrap` once against it. Override the command for a cluster.
CMD ["agent", "--server", "--bootstrap-expect=1", "--data-dir=/var/lib/belfry", "--http-addr=:8080", "--acl-enabled"]
