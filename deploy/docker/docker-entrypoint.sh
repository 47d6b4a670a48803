#!/bin/sh
# rconnect's container entrypoint, taking the environment Confluent's cp-kafka-connect image
# takes: every CONNECT_* variable becomes a worker key (prefix dropped, lower case, `___` → `-`,
# `__` → `_`, `_` → `.`), e.g. CONNECT_BOOTSTRAP_SERVERS → bootstrap.servers,
# CONNECT_CONFIG_PROVIDERS_DIR_PARAM_ALLOWED_PATHS → config.providers.dir.param.allowed.paths
# (`__` and `___` are for the rare key with an underscore or a dash).
#
#   no arguments              write $RCONNECT_CONFIG_DIR/worker.properties from CONNECT_* and
#                             run `rconnect distributed` on it (the image's default)
#   standalone|distributed …  run rconnect with these arguments as they are
#   anything else             run it (a shell, say)
set -eu

bin="${RCONNECT_BIN:-rconnect}"
config_dir="${RCONNECT_CONFIG_DIR:-/etc/rconnect}"

case "${1:-}" in
    standalone | distributed | plugins | --version | --help)
        exec "$bin" "$@"
        ;;
    "") ;;
    *)
        exec "$@"
        ;;
esac

# Confluent's image refuses to start without these; so does this one, naming what is missing.
missing=""
for required in CONNECT_BOOTSTRAP_SERVERS CONNECT_GROUP_ID CONNECT_CONFIG_STORAGE_TOPIC \
    CONNECT_OFFSET_STORAGE_TOPIC CONNECT_STATUS_STORAGE_TOPIC; do
    eval "value=\${$required:-}"
    if [ -z "$value" ]; then
        missing="$missing $required"
    fi
done
if [ -n "$missing" ]; then
    echo "docker-entrypoint: missing environment:$missing (see deploy/README.md)" >&2
    exit 1
fi

: "${CONNECT_KEY_CONVERTER:=org.apache.kafka.connect.json.JsonConverter}"
: "${CONNECT_VALUE_CONVERTER:=org.apache.kafka.connect.json.JsonConverter}"
: "${CONNECT_PLUGIN_PATH:=/usr/share/rconnect/plugins}"
# Confluent's CONNECT_REST_PORT (rest.port left Kafka in 3.0) becomes a listener.
if [ -z "${CONNECT_LISTENERS:-}" ]; then
    CONNECT_LISTENERS="http://0.0.0.0:${CONNECT_REST_PORT:-8083}"
fi
unset CONNECT_REST_PORT
export CONNECT_KEY_CONVERTER CONNECT_VALUE_CONVERTER CONNECT_PLUGIN_PATH CONNECT_LISTENERS

mkdir -p "$config_dir"
properties="$config_dir/worker.properties"
tmp="$properties.tmp.$$"
{
    echo "# Written by docker-entrypoint.sh from the CONNECT_* environment."
    # `env` prints NAME=value lines; only names are rewritten, values stay as they are.
    env | LC_ALL=C sort | while IFS= read -r line; do
        name="${line%%=*}"
        case "$name" in
            CONNECT_*) ;;
            *) continue ;;
        esac
        value="${line#*=}"
        key="$(printf '%s' "${name#CONNECT_}" | tr '[:upper:]' '[:lower:]' |
            sed -e 's/___/-/g' -e 's/__/\x01/g' -e 's/_/./g' -e 's/\x01/_/g')"
        printf '%s=%s\n' "$key" "$value"
    done
} >"$tmp"
mv "$tmp" "$properties"
exec "$bin" distributed "$properties"
