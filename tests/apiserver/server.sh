# SPDX-License-Identifier: MIT
#
# Sourced by tests that need the test API server (kube_apiserver.py):
#
#   apiserver_start [server flags...]   a fresh server on a free 127.0.0.1 port,
#                                       writing $KUBECONFIG; sets URL and APISERVER_PID
#   apiserver_stop                      SIGTERM, and wait for a clean exit
#
# The caller exports KUBECONFIG and sets APISERVER_LOG (the server's output).
# Each server gets its own kubectl discovery cache (KUBECACHEDIR): kubectl does
# not re-read discovery when a resource disappears.

APISERVER=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/kube_apiserver.py
APISERVER_PID=

apiserver_start() {
	local url_file=$KUBECONFIG.url
	[ -z "$APISERVER_PID" ] || apiserver_stop
	rm -f "$KUBECONFIG" "$url_file"
	PYTHONDONTWRITEBYTECODE=1 python3 "$APISERVER" --kubeconfig "$KUBECONFIG" \
		--url-file "$url_file" "$@" >>"$APISERVER_LOG" 2>&1 &
	APISERVER_PID=$!
	for _ in $(seq 100); do
		[ -s "$url_file" ] && break
		kill -0 "$APISERVER_PID" 2>/dev/null || { echo "the API server exited at start" >&2; return 1; }
		sleep 0.1
	done
	[ -s "$url_file" ] || { echo "the API server did not start" >&2; return 1; }
	URL=$(cat "$url_file")
	export KUBECACHEDIR=$(dirname "$KUBECONFIG")/kube-cache-${URL##*:}
}

apiserver_stop() {
	kill -TERM "$APISERVER_PID"
	wait "$APISERVER_PID" || { echo "the API server exited with $?" >&2; APISERVER_PID=; return 1; }
	APISERVER_PID=
}
