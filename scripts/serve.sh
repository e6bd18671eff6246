#!/usr/bin/env bash
# Serve Descent Lab for a class: N replicas of the app behind Caddy, one address.
#
#   scripts/serve.sh --replicas 2 --port 8501
#
# Starts N `streamlit run app.py` on loopback (ports PORT+1 … PORT+N unless --replica-port says
# otherwise), all with the same server.cookieSecret, waits until each answers its health check,
# then starts Caddy on PORT with deploy/Caddyfile (sticky sessions by cookie, zstd/gzip, health
# checks, websockets). A replica that dies is started again; Ctrl-C (or SIGTERM) stops them all.
# README: "Running it for a class".
#
# Streamlit's static files (its JavaScript, fonts) are copied once per Streamlit version into
# ~/.cache/descent-lab/ with brotli (if the `brotli` command is there) and gzip files beside them,
# which Caddy serves itself (deploy/Caddyfile: STATIC_ROOT); about 20 s the first time.
#
# Options: --replicas N (2)  --port PORT (8501)  --bind ADDRESS (0.0.0.0; where students connect)
#          --replica-port FIRST (PORT+1)  --run-dir DIR (a new temporary folder: logs, pid files)
# Environment: COOKIE_SECRET (one is made up when unset; set it to keep cookies valid across
# restarts), and any STREAMLIT_* setting, which every replica receives.
set -euo pipefail
cd "$(dirname "$0")/.."

replicas=2 port=8501 bind=0.0.0.0 first="" run_dir=""
while [ $# -gt 0 ]; do
    case "$1" in --replicas|--port|--bind|--replica-port|--run-dir)
        [ $# -ge 2 ] || { echo "serve.sh: $1 needs a value" >&2; exit 2; } ;;
    esac
    case "$1" in
        --replicas) replicas="$2"; shift 2 ;;
        --port) port="$2"; shift 2 ;;
        --bind) bind="$2"; shift 2 ;;
        --replica-port) first="$2"; shift 2 ;;
        --run-dir) run_dir="$2"; shift 2 ;;
        -h|--help) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "serve.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
done
case "$replicas$port${first:-1}" in *[!0-9]*) echo "serve.sh: --replicas, --port and --replica-port take numbers" >&2; exit 2 ;; esac
[ "$replicas" -ge 1 ] || { echo "serve.sh: --replicas must be at least 1" >&2; exit 2; }
first="${first:-$((port + 1))}"
command -v caddy >/dev/null || { echo "serve.sh: caddy is missing (apt-get install caddy)" >&2; exit 2; }
run_dir="${run_dir:-$(mktemp -d -t descent-lab-serve.XXXXXX)}"
mkdir -p "$run_dir"

# One secret for the whole set: Streamlit signs its XSRF cookie with it (a page that moves to
# another replica must still pass its check) and Caddy signs the sticky-session cookie.
export COOKIE_SECRET="${COOKIE_SECRET:-$(python3 -c 'import secrets; print(secrets.token_hex(32))')}"
# glibc's malloc arena per thread made a server's memory creep up with a class on it (README).
export MALLOC_ARENA_MAX="${MALLOC_ARENA_MAX:-4}"

children=()
stop() {
    trap - INT TERM EXIT
    echo "serve.sh: stopping" >&2
    for pid in "${children[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    exit "$1"
}
trap 'stop 0' INT TERM
trap 'stop $?' EXIT

# replica I PORT: runs the app on PORT again and again (a replica that dies comes back), its
# process id in RUN_DIR/replica-I.pid, its log in RUN_DIR/replica-I.log. TERM stops it for good.
replica() {
    local i="$1" p="$2" pid=""
    trap '[ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null; wait; exit 0' TERM INT
    while true; do
        STREAMLIT_SERVER_COOKIE_SECRET="$COOKIE_SECRET" python3 -m streamlit run app.py \
            --server.address 127.0.0.1 --server.port "$p" --server.headless true \
            >>"$run_dir/replica-$i.log" 2>&1 &
        pid=$!
        echo "$pid" >"$run_dir/replica-$i.pid"
        echo "serve.sh: replica $i on 127.0.0.1:$p, process $pid" >&2
        wait "$pid" || true
        echo "serve.sh: replica $i (process $pid) ended; starting it again in 1 s" >&2
        sleep 1
    done
}

healthy() {
    curl -fsS --max-time 2 "http://$1/_stcore/health" 2>/dev/null | grep -qx ok
}

upstreams=()
for ((i = 1; i <= replicas; i++)); do
    p=$((first + i - 1))
    if healthy "127.0.0.1:$p"; then echo "serve.sh: port $p is taken" >&2; exit 1; fi
    replica "$i" "$p" &
    children+=($!)
    upstreams+=("127.0.0.1:$p")
done

for up in "${upstreams[@]}"; do
    for ((t = 0; ; t++)); do
        healthy "$up" && break
        if [ "$t" -ge 600 ]; then echo "serve.sh: $up did not become healthy in 120 s (logs in $run_dir)" >&2; exit 1; fi
        sleep 0.2
    done
done
echo "serve.sh: ${#upstreams[@]} replicas healthy" >&2

# Streamlit's static files, compressed once at the highest levels (Caddy compresses on the fly at
# its fastest: Plotly's 4.7 MB chunk is 1.48 MB that way, 1.06 MB as brotli 11).
static_src="$(python3 -c 'import os, streamlit; print(os.path.join(os.path.dirname(streamlit.__file__), "static"))')"
static="${XDG_CACHE_HOME:-$HOME/.cache}/descent-lab/streamlit-static-$(python3 -c 'import streamlit; print(streamlit.__version__)')"
if [ ! -e "$static/.complete" ]; then
    echo "serve.sh: compressing Streamlit's static files into $static (once per Streamlit version)" >&2
    work="$static.partial.$$"  # another serve.sh may be doing the same: the first to finish wins
    rm -rf "$work" && mkdir -p "$work" && cp -R "$static_src/." "$work/"
    brotli_too=$(command -v brotli >/dev/null && echo 1 || echo 0)
    find "$work" -type f \( -name '*.js' -o -name '*.css' -o -name '*.html' -o -name '*.json' -o -name '*.svg' \) -size +1k -print0 |
        xargs -0 -P 2 -n 16 sh -c 'for f; do gzip -9 -k -f "$f"; [ "$0" = 1 ] && brotli -q 11 -k -f "$f"; done; true' "$brotli_too"
    touch "$work/.complete"
    rm -rf "$static.old.$$"; [ -e "$static" ] && mv "$static" "$static.old.$$"
    mv "$work" "$static" 2>/dev/null || rm -rf "$work"
    rm -rf "$static.old.$$"
fi

# The app's own static files (static/: the map player's plotly.js, 1.5 MB; 0.4 MB as brotli 11),
# compressed the same way at every start (a few seconds), for this checkout as it is.
app_static="$run_dir/app-static"  # laid out as the URLs are: app/static/…
rm -rf "$app_static" && mkdir -p "$app_static/app/static" && cp -R static/. "$app_static/app/static/"
find "$app_static" -type f -name '*.js' -print0 |
    xargs -0 -n 1 sh -c 'gzip -9 -k -f "$1"; command -v brotli >/dev/null && brotli -q 11 -k -f "$1"; true' sh

# Each replica's sticky cookie, as Caddy's lb_policy cookie computes it, so that a new browser can
# be sent to the least busy replica with that cookie (deploy/new-browsers.caddy).
for u in "${upstreams[@]}"; do
    printf '%s %s\n' "$u" "$(python3 -c 'import hashlib, hmac, sys; print(hmac.new(sys.argv[1].encode(), sys.argv[2].encode(), hashlib.sha256).hexdigest())' "$COOKIE_SECRET" "$u")"
done >"$run_dir/replica-cookies"

# Caddy keeps its state (autosave, certificates: none here) under the run folder, not in ~.
XDG_CONFIG_HOME="$run_dir" XDG_DATA_HOME="$run_dir" PORT="$port" BIND="$bind" UPSTREAMS="${upstreams[*]}" \
    STATIC_ROOT="$static" APP_STATIC_ROOT="$app_static" LB_COOKIE_SECRET="$COOKIE_SECRET" \
    NEW_BROWSERS="$PWD/deploy/new-browsers.caddy" REPLICA_COOKIES="$run_dir/replica-cookies" \
    caddy run --config deploy/Caddyfile --adapter caddyfile >>"$run_dir/caddy.log" 2>&1 &
children+=($!)
echo "$!" >"$run_dir/caddy.pid"
host="$bind"; [ "$host" = 0.0.0.0 ] && host=127.0.0.1
for ((t = 0; ; t++)); do
    healthy "$host:$port" && break
    if [ "$t" -ge 100 ]; then echo "serve.sh: the proxy did not start (log: $run_dir/caddy.log)" >&2; exit 1; fi
    sleep 0.2
done
echo "serve.sh: serving http://$host:$port/ (${#upstreams[@]} replicas; logs in $run_dir). Ctrl-C stops it." >&2
echo "ready" >"$run_dir/ready"
wait
