# Sourced by tests that need a server answering every request with one canned
# reply (status and JSON body; a second body for Huawei paths /v3/ and /v2.1/).
# hk_canned_server STATUS ALIYUN_BODY [HUAWEI_BODY]: starts it on 127.0.0.1,
# stops it on exit, and sets HK_CANNED_URL.
hk_canned_server() {
	local dir
	dir=$(mktemp -d "$HK_TMP/canned.XXXXXX")
	cat >"$dir/server.py" <<'PY'
import http.server, sys
status, ali, hw, portfile = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
class H(http.server.BaseHTTPRequestHandler):
    def answer(self):
        n = int(self.headers.get("Content-Length") or 0)
        if n:
            self.rfile.read(n)
        huawei = "/v3/" in self.path or "/v2.1/" in self.path
        data = (hw if huawei else ali).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
    do_GET = do_POST = do_DELETE = answer
    def log_message(self, *a):
        pass
s = http.server.HTTPServer(("127.0.0.1", 0), H)
open(portfile, "w").write(str(s.server_address[1]))
s.serve_forever()
PY
	python3 "$dir/server.py" "$1" "$2" "${3:-$2}" "$dir/port" &
	hk_on_exit "kill $!"
	for _ in $(seq 100); do [ -s "$dir/port" ] && break; sleep 0.05; done
	[ -s "$dir/port" ] || fail "the canned server did not start"
	HK_CANNED_URL="http://127.0.0.1:$(cat "$dir/port")"
}
