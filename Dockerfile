# rconnect's container image: a multi-stage build, a small Debian runtime, a non-root user,
# and Confluent's cp-kafka-connect environment (CONNECT_*) through docker-entrypoint.sh.
#
#   docker build -t rconnect .
#   docker run -e CONNECT_BOOTSTRAP_SERVERS=broker:9092 -e CONNECT_GROUP_ID=connect \
#     -e CONNECT_CONFIG_STORAGE_TOPIC=connect-configs \
#     -e CONNECT_OFFSET_STORAGE_TOPIC=connect-offsets \
#     -e CONNECT_STATUS_STORAGE_TOPIC=connect-status -p 8083:8083 rconnect
#
# See deploy/README.md.

FROM rust:1.95-bookworm AS build
WORKDIR /src
# The bundled librdkafka builds with the C toolchain and libssl-dev of the rust image.
COPY . .
RUN cargo build --release --locked -p rconnect \
    && install -D -m 0755 target/release/rconnect /out/rconnect

FROM debian:bookworm-slim
# ca-certificates: TLS to brokers, registries and S3 endpoints; libssl3: the OpenSSL the
# bundled librdkafka links for SSL and SASL_SSL.
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates=20230311* libssl3=3.0.* \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 rconnect \
    && useradd --system --uid 10001 --gid rconnect --home-dir /var/lib/rconnect \
        --shell /usr/sbin/nologin rconnect \
    && install -d -o rconnect -g rconnect /etc/rconnect /var/lib/rconnect \
        /usr/share/rconnect/plugins
COPY --from=build /out/rconnect /usr/local/bin/rconnect
COPY deploy/docker/docker-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
COPY config /usr/share/rconnect/config
USER 10001:10001
WORKDIR /var/lib/rconnect
EXPOSE 8083
# The worker stops its tasks and leaves the group on SIGTERM (docker stop, Kubernetes).
STOPSIGNAL SIGTERM
# No HEALTHCHECK: the image has no HTTP client; orchestrators probe GET /health (KIP-1017)
# themselves (deploy/kubernetes/deployment.yaml).
ENTRYPOINT ["/usr/local/bin/docker-entrypoint.sh"]
