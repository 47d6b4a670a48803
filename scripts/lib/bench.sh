# Shell helpers shared by the bench scripts that run a worker per case on a fresh tansu
# (scripts/bench-java-smt, scripts/bench-smt-stages). Source it; it defines functions only.

# A free loopback TCP port.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# Writes LINES 100-byte lines (and their newlines) to FILE, the input of `scripts/bench`.
make_input() {
    python3 - "$1" "$2" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    for i in range(int(sys.argv[2])):
        f.write(("%08d-" % i + "x" * 91)[:100] + "\n")
PY
}

# The user + system CPU seconds of process PID so far.
cpu_of() { awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); print ($12 + $13) / hz }' "/proc/$1/stat"; }

# Starts TANSU with in-memory storage on a free port, logging to LOG, and creates TOPICS (one
# partition each). Sets `kafka_port` and `tansu_pid` in the caller's shell, so call it
# directly, not in `$(...)`.
start_tansu() {
    local tansu=$1 log=$2
    shift 2
    kafka_port="$(free_port)"
    "$tansu" broker --listener-url "tcp://127.0.0.1:$kafka_port" \
        --advertised-listener-url "tcp://127.0.0.1:$kafka_port" \
        --storage-engine memory://tansu/ > "$log" 2>&1 &
    tansu_pid=$!
    local t
    for t in "$@"; do
        for _ in $(seq 50); do
            "$tansu" topic create "$t" --broker "tcp://127.0.0.1:$kafka_port" --partitions 1 \
                > /dev/null 2>&1 && break
            sleep 0.2
        done
    done
}
