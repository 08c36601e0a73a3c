# TLS is always verified: hwkey-cloudsim's self-signed certificate is refused
# without --cacert and accepted with it (added to, not replacing, the system
# store); a CA file that is not PEM is an error, never a way around checking.
. "$HK_TESTLIB/common.sh"
CLOUDSIM_TLS=1
. "$HK_TESTLIB/cloudsim.sh"
. "$HK_TESTLIB/cloudimport.sh"

hk_cloudsim_start
hk_creds_aliyun
assert_contains "$CLOUDSIM_URL" "https://" "simulator speaks HTTPS"
hk_keygen ec ecdsa 256
A=(--cloud aliyun --endpoint "$CLOUDSIM_URL" --region cn-hangzhou --name tls-key)

# Untrusted certificate: refused, nothing reaches the API, the error says why.
n0=$(sim_applied_imports)
expect_exit 10 "$HWKEY" import "${A[@]}" ec.pub
assert_contains "$(cat out err)" "certificate" "TLS failure explained"
assert_contains "$(cat out err)" "--cacert" "TLS failure suggests --cacert"
assert_eq "$n0" "$(sim_applied_imports)" "no import over an unverified connection"

# With the simulator's certificate as an extra CA: imported and verified.
expect_exit 0 "$HWKEY" import "${A[@]}" --cacert "$CLOUDSIM_CERT" --json ec.pub
assert_eq imported "$(jq -r '.results[0].status' out)" "imported over HTTPS"
assert_eq "$(fp_aliyun ec.pub)" "$(jq -r '.results[0].cloud_fingerprint' out)" "fingerprint over HTTPS"

# Another CA does not vouch for this server.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout other.key \
	-out other.pem -days 1 -subj "/CN=other" >/dev/null 2>&1
expect_exit 10 "$HWKEY" cloud list --cloud aliyun --endpoint "$CLOUDSIM_URL" \
	--region cn-hangzhou --cacert other.pem
assert_contains "$(cat out err)" "certificate" "wrong CA refused"
# A CA file without a certificate is an error, not "trust anything".
echo "not a certificate" >junk.pem
expect_exit 10 "$HWKEY" cloud list --cloud aliyun --endpoint "$CLOUDSIM_URL" \
	--region cn-hangzhou --cacert junk.pem
assert_contains "$(cat err)" "no PEM certificate" "junk CA file refused"

# The host name is checked too: the certificate names 127.0.0.1 and localhost only.
expect_exit 0 "$HWKEY" cloud list --cloud aliyun --endpoint "https://localhost:$CLOUDSIM_PORT" \
	--region cn-hangzhou --cacert "$CLOUDSIM_CERT" --json
assert_eq tls-key "$(jq -r '.regions[0].keypairs[0].name' out)" "listed via localhost"
hk_done
