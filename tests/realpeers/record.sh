#!/usr/bin/env bash
# Record real DCE/RPC traffic between a Samba AD DC and Impacket / Samba clients.
#
#   tests/realpeers/record.sh OUTDIR
#
# Everything runs inside two network namespaces this script creates (server and
# client, joined by a veth pair, 10.213.7.1/24 and 10.213.7.2/24); the host's own
# network configuration is never touched. Writes OUTDIR/rp_*.pcap (captured in the
# client namespace) and OUTDIR/rp_*.expected.json (what the client did and got).
# See README.md beside this file.
#
# Exit: 0 all recorded; 77 a prerequisite is missing (one line on stderr);
#       1 a step failed (the step, and the tail of Samba's log, on stderr).
set -Eeuo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PY=/usr/bin/python3                 # Debian's python3, where python3-impacket lives
CLIENTS="$HERE/clients.py"

SRV_NS="rpct-srv-$$"
CLI_NS="rpct-cli-$$"
SRV_IF=rpct0
CLI_IF=rpct1
SRV_IP=10.213.7.1
CLI_IP=10.213.7.2
CLI_IP_ENC=10.213.7.3               # the client's second address: the server requires SMB3 encryption from it
SRV_MAC=02:00:0a:d5:07:01
CLI_MAC=02:00:0a:d5:07:02
REALM=RPCTEST.LAN
DOMAIN=RPCTEST
DC_NAME=rpcdc
DC_FQDN=rpcdc.rpctest.lan
ADMIN=Administrator
PASS='Rpct3st!Pass'
PLAIN_USER=rpuser000               # a domain user without admin rights (created by mkusers)
PLAIN_PASS='Rpct3st!User000'
ALIAS_FQDN=rpcalias.rpctest.lan    # the DC's address, but its SPN is on $ALIAS_SPN_USER (rp_ret_kerberos)
ALIAS_SPN_USER=rpuser001
NOSPN_FQDN=rpcnospn.rpctest.lan    # the DC's address, no account has its SPN (rp_ret_kerberos)
NUSERS=${RPCT_USERS:-60}
FW_TIMEOUT=${RPCT_FW_TIMEOUT:-8}
CAPTURE_FILTER='tcp port 135 or tcp port 445 or port 88 or tcp portrange 49152-65535'

T0=$(date +%s.%N)
STEP="start"
TMP=""
SAMBA_PID=""
TD_PID=""
NS_CREATED=()
NETNS_ETC_CREATED=""     # /etc/netns/<client ns> (we created it)
NETNS_DIR_CREATED=""     # /etc/netns itself (we created it)
FAILED_CMD=""

elapsed() { awk -v a="$T0" -v b="$(date +%s.%N)" 'BEGIN{printf "%5.1f", b-a}'; }
step() { STEP="$*"; echo "[$(elapsed)s] $*"; }
skip() { echo "record.sh: SKIP: $*" >&2; exit 77; }
die() { echo "record.sh: $*" >&2; exit 1; }

usage() { echo "usage: $0 OUTDIR" >&2; exit 1; }
[ $# -eq 1 ] || usage
OUT=$1

# ---------------------------------------------------------------------------
# cleanup: by PID only, then the namespaces, /etc/netns/<ns>, the temp folder
# ---------------------------------------------------------------------------
kill_wait() {   # kill_wait SIG PID... : send SIG, wait up to ~5 s for each to go
  local sig=$1; shift
  local p
  for p in "$@"; do kill -"$sig" "$p" 2>/dev/null || true; done
  for _ in $(seq 50); do
    local alive=0
    for p in "$@"; do if kill -0 "$p" 2>/dev/null; then alive=1; fi; done
    [ $alive = 0 ] && return 0
    sleep 0.1
  done
  return 1
}

cleanup() {
  local rc=$?
  trap - EXIT INT TERM ERR
  set +e
  if [ $rc -ne 0 ] && [ $rc -ne 77 ]; then
    echo "record.sh: FAILED at step: $STEP" >&2
    [ -n "$FAILED_CMD" ] && echo "record.sh: failing command: $FAILED_CMD" >&2
    if [ -n "$TMP" ] && [ -s "$TMP/samba.log" ]; then
      echo "---- tail of samba's log ($TMP/samba.log) ----" >&2
      tail -n 25 "$TMP/samba.log" >&2
    fi
    if [ -n "$TMP" ] && [ -s "$TMP/dc/log/log.smbd" ]; then
      echo "---- tail of log.smbd ----" >&2
      tail -n 10 "$TMP/dc/log/log.smbd" >&2
    fi
  fi
  # tcpdump, then samba, by PID
  if [ -n "$TD_PID" ]; then kill_wait INT "$TD_PID" || kill_wait KILL "$TD_PID"; wait "$TD_PID" 2>/dev/null; fi
  if [ -n "$SAMBA_PID" ]; then
    kill_wait TERM "$SAMBA_PID" || kill_wait KILL "$SAMBA_PID"
    wait "$SAMBA_PID" 2>/dev/null
  fi
  # whatever still runs inside our namespaces was started by this script (smbd and
  # winbindd children of samba, a client interrupted half-way): by PID too
  local ns pids
  for ns in "${NS_CREATED[@]}"; do
    pids=$(ip netns pids "$ns" 2>/dev/null | tr '\n' ' ')
    if [ -n "${pids// /}" ]; then
      # shellcheck disable=SC2086
      kill_wait TERM $pids || kill_wait KILL $pids
    fi
  done
  for ns in "${NS_CREATED[@]}"; do ip netns del "$ns" 2>/dev/null; done
  if [ -n "$NETNS_ETC_CREATED" ]; then rm -rf "$NETNS_ETC_CREATED"; fi
  if [ -n "$NETNS_DIR_CREATED" ]; then rmdir "$NETNS_DIR_CREATED" 2>/dev/null; fi
  if [ -n "$TMP" ] && [ -d "$TMP" ]; then
    if [ -n "${RPCT_KEEP_TMP:-}" ]; then echo "record.sh: kept $TMP" >&2; else rm -rf "$TMP"; fi
  fi
  if [ $rc -ne 0 ] && [ $rc -ne 77 ]; then rc=1; fi
  exit $rc
}
trap cleanup EXIT
trap 'FAILED_CMD=$BASH_COMMAND' ERR
trap 'STEP="$STEP (interrupted)"; exit 130' INT
trap 'STEP="$STEP (terminated)"; exit 143' TERM

# ---------------------------------------------------------------------------
# prerequisites (exit 77)
# ---------------------------------------------------------------------------
STEP="prerequisites"
[ "$(id -u)" = 0 ] || skip "must run as root (network namespaces, samba, tcpdump)"
for c in ip unshare mount samba samba-tool tcpdump tshark nft rpcclient kinit awk; do
  command -v "$c" >/dev/null 2>&1 || skip "missing command: $c"
done
[ -x "$PY" ] || skip "missing $PY"
"$PY" -c 'import impacket.dcerpc.v5.epm, impacket.smbconnection' 2>/dev/null \
  || skip "$PY cannot import impacket (apt-get install python3-impacket)"
"$PY" -c 'import samba.samdb' 2>/dev/null || skip "$PY cannot import samba (apt-get install python3-samba)"
ip netns add "$SRV_NS" 2>/dev/null || skip "'ip netns add' not permitted here"
NS_CREATED+=("$SRV_NS")
unshare -m --propagation private true 2>/dev/null || skip "'unshare -m' not permitted here"

mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
TMP=$(mktemp -d /tmp/rpct-rec.XXXXXX)
DC="$TMP/dc"
echo "record.sh: recording into $OUT (temp $TMP, namespaces $SRV_NS / $CLI_NS)"

# ---------------------------------------------------------------------------
# network: two namespaces and a veth pair, nothing in the default namespace
# ---------------------------------------------------------------------------
step "network namespaces $SRV_NS ($SRV_IP) <-> $CLI_NS ($CLI_IP)"
ip netns add "$CLI_NS"
NS_CREATED+=("$CLI_NS")
ip -n "$SRV_NS" link add "$SRV_IF" type veth peer name "$CLI_IF" netns "$CLI_NS"
ip -n "$SRV_NS" link set "$SRV_IF" address "$SRV_MAC"
ip -n "$CLI_NS" link set "$CLI_IF" address "$CLI_MAC"
# one TCP segment per frame, as on a real wire (no 64 KB GSO "super frames" in the capture)
ip -n "$SRV_NS" link set "$SRV_IF" gso_max_segs 1
ip -n "$CLI_NS" link set "$CLI_IF" gso_max_segs 1
ip -n "$SRV_NS" addr add "$SRV_IP/24" dev "$SRV_IF"
ip -n "$CLI_NS" addr add "$CLI_IP/24" dev "$CLI_IF"
# a secondary address, the source only while rp_np_encrypted runs (a host route with src)
ip -n "$CLI_NS" addr add "$CLI_IP_ENC/24" dev "$CLI_IF"
for ns in "$SRV_NS" "$CLI_NS"; do ip -n "$ns" link set lo up; done
ip -n "$SRV_NS" link set "$SRV_IF" up
ip -n "$CLI_NS" link set "$CLI_IF" up
# the DC's name inside the client namespace (ip netns exec bind-mounts /etc/netns/<ns>/hosts)
if [ ! -d /etc/netns ]; then mkdir /etc/netns; NETNS_DIR_CREATED=/etc/netns; fi
mkdir "/etc/netns/$CLI_NS"
NETNS_ETC_CREATED="/etc/netns/$CLI_NS"
# rpcalias / rpcnospn: more names for the DC's address (rp_ret_kerberos): the SPN
# host/rpcalias.rpctest.lan belongs to a user (a ticket the DC cannot decrypt), no account has
# host/rpcnospn.rpctest.lan (the KDC answers KDC_ERR_S_PRINCIPAL_UNKNOWN)
printf '127.0.0.1\tlocalhost\n%s\t%s %s\n%s\trpccli.rpctest.lan rpccli\n%s\t%s %s\n' \
  "$SRV_IP" "$DC_FQDN" "$DC_NAME" "$CLI_IP" "$SRV_IP" "$ALIAS_FQDN" "$NOSPN_FQDN" > "/etc/netns/$CLI_NS/hosts"

# ---------------------------------------------------------------------------
# Samba AD DC in $TMP/dc
# ---------------------------------------------------------------------------
step "provisioning Samba AD DC $DC_FQDN (realm $REALM) in $DC"
: > "$TMP/empty.conf"   # so that the host's /etc/samba/smb.conf is not merged in
samba-tool domain provision -s "$TMP/empty.conf" \
  --use-rfc2307 --realm="$REALM" --domain="$DOMAIN" --server-role=dc \
  --dns-backend=SAMBA_INTERNAL --adminpass="$PASS" --targetdir="$DC" \
  --host-name="$DC_NAME" --host-ip="$SRV_IP" \
  --domain-sid=S-1-5-21-1111111111-2222222222-3333333333 \
  --domain-guid=7a0b6f5e-1d2c-4b3a-9e8f-0123456789ab \
  --ntds-guid=7a0b6f5e-1d2c-4b3a-9e8f-0123456789ac \
  --invocationid=7a0b6f5e-1d2c-4b3a-9e8f-0123456789ad \
  --krbtgtpass='Rpct3st!Krbtgt' --machinepass='Rpct3st!Machine' --dnspass='Rpct3st!Dns' \
  --option="netbios name=RPCDC" \
  --option="interfaces=$SRV_IP/24" \
  --option="bind interfaces only=yes" \
  --option="disable netbios=yes" \
  --option="smb ports=445" \
  --option="server services=-dns -dnsupdate" \
  --option="pid directory=$DC/run" \
  --option="ncalrpc dir=$DC/ncalrpc" \
  --option="log file=$DC/log/log.%m" \
  --option="max log size=0" \
  --option="log level=1" \
  > "$TMP/provision.log" 2>&1 || { tail -n 20 "$TMP/provision.log" >&2; false; }
mkdir -p "$DC/log" "$DC/run"
# provision does not carry these into the smb.conf it writes: add them to [global].
#  - no SMB3 encryption offered (but to $CLI_IP_ENC, below): impacket encrypts whenever
#    the server offers it, and the named-pipe traffic must stay readable;
#  - no TLS (LDAPS) key generation at start-up, it is not used;
#  - SMB1 allowed (rp_np_smb1); clients offering SMB2 still get SMB 3.0;
#  - a per-client-address include (smbd substitutes %I when a connection starts): from
#    $CLI_IP_ENC only, SMB3 encryption is required (rp_np_encrypted); every other file
#    name it makes does not exist and is skipped (samba's own loadparm skips names with %);
#  - a share whose 'valid users' leaves Administrator out (rp_np_refused: tree connect
#    access denied).
sed -i '/^\[global\]/a\
\tserver smb encrypt = off\
\ttls enabled = no\
\tserver min protocol = NT1\
\tinclude = '"$DC"'/etc/smb.conf.client-%I' "$DC/etc/smb.conf"
printf '\tserver smb encrypt = required\n' > "$DC/etc/smb.conf.client-$CLI_IP_ENC"
mkdir -p "$DC/rpdenied"
printf '\n[rpdenied]\n\tpath = %s\n\tread only = yes\n\tvalid users = %s\\rpuser000\n' \
  "$DC/rpdenied" "$DOMAIN" >> "$DC/etc/smb.conf"
enc=$(testparm -s --parameter-name="server smb encrypt" "$DC/etc/smb.conf" 2>/dev/null || true)
[ "$enc" = "No" ] || die "could not turn SMB encryption off in $DC/etc/smb.conf (testparm says '$enc')"

step "adding $NUSERS users (rpuser000..) to the domain"
[ "$NUSERS" -ge 3 ] || die "RPCT_USERS must be at least 3 (the return-code scenarios use rpuser000..002)"
"$PY" "$CLIENTS" mkusers --smbconf "$DC/etc/smb.conf" --count "$NUSERS" \
  --spn "$ALIAS_SPN_USER=host/$ALIAS_FQDN"

step "starting samba in $SRV_NS"
# unshare -m + a tmpfs on /run: winbindd's socket (/run/samba/winbindd, compiled into
# libwbclient; smbd needs it for session setup) lives in this private /run, not the host's.
# shellcheck disable=SC2016  # $1 is expanded by that inner sh
ip netns exec "$SRV_NS" unshare -m --propagation private sh -c \
  'mount -t tmpfs -o mode=0755 rpct-run /run && mkdir -p /run/samba && exec samba -s "$1" -i -M single' \
  sh "$DC/etc/smb.conf" > "$TMP/samba.log" 2>&1 &
SAMBA_PID=$!

step "waiting for the DC (TCP 135 + ept_map, SMB login) from $CLI_NS"
ready=0
for _ in $(seq 120); do
  kill -0 "$SAMBA_PID" 2>/dev/null || die "samba (pid $SAMBA_PID) exited during start-up"
  if ip netns exec "$CLI_NS" "$PY" "$CLIENTS" probe --server "$SRV_IP" --password "$PASS" \
       > "$TMP/probe.log" 2>&1; then ready=1; break; fi
  sleep 0.5
done
[ $ready = 1 ] || die "the DC did not answer within 60 s: $(tail -n 1 "$TMP/probe.log")"
echo "         $(tail -n 1 "$TMP/probe.log")"

# ---------------------------------------------------------------------------
# capture helpers
# ---------------------------------------------------------------------------
cap_start() {   # cap_start NAME
  local name=$1
  rm -f "$OUT/$name.pcap" "$OUT/$name.expected.json"
  ip netns exec "$CLI_NS" tcpdump -Z root -n -i "$CLI_IF" -w "$OUT/$name.pcap" -U --immediate-mode -s 0 \
    "$CAPTURE_FILTER" 2> "$TMP/tcpdump.$name.log" &
  TD_PID=$!
  for _ in $(seq 100); do
    grep -q "listening on" "$TMP/tcpdump.$name.log" 2>/dev/null && return 0
    kill -0 "$TD_PID" 2>/dev/null || { cat "$TMP/tcpdump.$name.log" >&2; die "tcpdump did not start"; }
    sleep 0.1
  done
  die "tcpdump not ready after 10 s"
}
cap_stop() {
  sleep 0.5
  kill -INT "$TD_PID"
  wait "$TD_PID" || true
  TD_PID=""
}
cli() {   # cli SCENARIO [ARGS...]: one clients.py run in the client namespace (ARGS win)
  ip netns exec "$CLI_NS" "$PY" "$CLIENTS" --server "$SRV_IP" --client "$CLI_IP" \
    --out "$OUT" --user "$ADMIN" --password "$PASS" --domain "$DOMAIN" "$@"
}

# ---------------------------------------------------------------------------
# scenarios
# ---------------------------------------------------------------------------
step "scenario rp_epm_lookup: ept_lookup listing on TCP 135"
cap_start rp_epm_lookup
cli epm_lookup
cap_stop

step "scenario rp_epm_map_samr: ept_map + SAMR / LSA on their dynamic ports (NTLM, integrity)"
cap_start rp_epm_map_samr
cli epm_map_samr
cap_stop

step "scenario rp_np_samr: SAMR and LSA over SMB named pipes"
cap_start rp_np_samr
cli np
cap_stop

step "scenario rp_np_services: srvsvc NetrShareEnum and EPM over \\pipe\\srvsvc, \\pipe\\epmapper"
cap_start rp_np_services
cli np_services
cap_stop

step "scenario rp_np_refused: no such pipe, no such share, share denied, wrong password"
cap_start rp_np_refused
cli np_refused
cap_stop

step "scenario rp_np_encrypted: SMB3 encryption required for $CLI_IP_ENC, srvsvc and LSA pipes"
cap_start rp_np_encrypted
ip -n "$CLI_NS" route add "$SRV_IP/32" dev "$CLI_IF" src "$CLI_IP_ENC"
rc=0
cli np_encrypted --client "$CLI_IP_ENC" || rc=$?
ip -n "$CLI_NS" route del "$SRV_IP/32" dev "$CLI_IF"
[ $rc = 0 ] || die "np_encrypted failed (exit $rc)"
cap_stop

step "scenario rp_np_smb1: SAMR and LSA over SMB1 named pipes (WRITE_ANDX/READ_ANDX, TransactNmPipe)"
cap_start rp_np_smb1
cli np_smb1
cap_stop

step "scenario rp_auth_levels: SAMR on TCP at auth levels none/connect/integrity/privacy"
cap_start rp_auth_levels
cli auth_levels
cap_stop

step "scenario rp_kerberos: kinit + rpcclient Kerberos binds (sign, seal, spnego+seal)"
KRB="$TMP/krb"
mkdir -p "$KRB/cli"
cat > "$KRB/krb5.conf" <<EOF
[libdefaults]
	default_realm = $REALM
	dns_lookup_realm = false
	dns_lookup_kdc = false
	rdns = false
	udp_preference_limit = 0
[realms]
	$REALM = {
		kdc = $SRV_IP
		admin_server = $SRV_IP
	}
[domain_realm]
	.rpctest.lan = $REALM
	rpctest.lan = $REALM
EOF
cat > "$KRB/smb.conf" <<EOF
[global]
	workgroup = $DOMAIN
	realm = $REALM
	netbios name = RPCCLI
	disable netbios = yes
	lock directory = $KRB/cli
	state directory = $KRB/cli
	cache directory = $KRB/cli
	private dir = $KRB/cli
	pid directory = $KRB/cli
	ncalrpc dir = $KRB/cli
	log file = $KRB/cli/log.%m
EOF
export KRB5_CONFIG="$KRB/krb5.conf" KRB5CCNAME="FILE:$KRB/ccache"
cap_start rp_kerberos
printf '%s\n' "$PASS" | ip netns exec "$CLI_NS" kinit "$ADMIN@$REALM" > "$KRB/kinit.log" 2>&1 \
  || { cat "$KRB/kinit.log" >&2; die "kinit failed"; }
KLOGS=()
for spec in "krb5-sign|sign|enumdomains;enumdomusers;lsaquery" \
            "krb5-seal|seal|enumdomusers" \
            "spnego-seal|spnego,seal|enumdomusers"; do
  IFS='|' read -r label opts cmds <<< "$spec"
  binding="ncacn_ip_tcp:${DC_FQDN}[${opts}]"
  rc=0
  ip netns exec "$CLI_NS" rpcclient -s "$KRB/smb.conf" -d 10 --use-kerberos=required \
    --use-krb5-ccache="FILE:$KRB/ccache" -U "$ADMIN" "$binding" -c "$cmds" \
    > "$KRB/rpcclient.$label.log" 2>&1 < /dev/null || rc=$?
  echo "         rpcclient $binding -c '$cmds' -> exit $rc"
  KLOGS+=(--log "$label|$KRB/rpcclient.$label.log|$binding|$cmds|$rc")
done
cap_stop
unset KRB5_CONFIG KRB5CCNAME
"$PY" "$CLIENTS" kerberos_expected --out "$OUT" --server "$SRV_IP" --client "$CLI_IP" "${KLOGS[@]}"

step "scenario rp_errors: unknown interface, bad opnum, alter_context, fragmented responses"
cap_start rp_errors
cli errors
cap_stop

step "scenario rp_firewall: ept_map answered, SYNs to the dynamic port dropped (${FW_TIMEOUT}s)"
cap_start rp_firewall
port=$(cli firewall_map)
if ! [[ "$port" =~ ^[0-9]+$ ]] || [ "$port" -eq 0 ]; then die "ept_map gave no port: '$port'"; fi
ip netns exec "$SRV_NS" nft -f - <<EOF
table inet rpct {
	chain input {
		type filter hook input priority 0; policy accept;
		tcp dport $port tcp flags & (syn | ack) == syn drop
	}
}
EOF
cli firewall_connect --timeout "$FW_TIMEOUT"
ip netns exec "$SRV_NS" nft delete table inet rpct
cap_stop

# ---------------------------------------------------------------------------
# return codes: errors in the response stub, faults, refused Kerberos, a rejecting firewall
# ---------------------------------------------------------------------------
step "scenario rp_ret_samr: SAMR names/RIDs that do not exist, wrong old password, not implemented, opnum 200"
cap_start rp_ret_samr
cli ret_samr
cap_stop

step "scenario rp_ret_services: WINREG key and SVCCTL service that do not exist, svcctl operations not implemented"
cap_start rp_ret_services
cli ret_services
cap_stop

step "scenario rp_ret_denied: LSA, SAMR, SVCCTL, WINREG as $PLAIN_USER (no admin rights)"
cap_start rp_ret_denied
cli ret_denied --user "$PLAIN_USER" --password "$PLAIN_PASS"
cap_stop

step "scenario rp_ret_badpass: NTLM binds to SAMR and NETLOGON on TCP with a wrong password"
cap_start rp_ret_badpass
cli ret_badpass --password "$PASS-wrong"
cap_stop

step "scenario rp_ret_kerberos: impacket's Kerberos (KRB_AP_ERR_INAPP_CKSUM), tickets the DC cannot use"
cap_start rp_ret_kerberos
cli ret_kerberos_impacket --user "$ADMIN" --domain "$REALM" --target-name "$DC_FQDN" --kdc "$SRV_IP"
export KRB5_CONFIG="$KRB/krb5.conf" KRB5CCNAME="FILE:$KRB/ccache.ret"
printf '%s\n' "$PASS" | ip netns exec "$CLI_NS" kinit "$ADMIN@$REALM" > "$KRB/kinit.ret.log" 2>&1 \
  || { cat "$KRB/kinit.ret.log" >&2; die "kinit failed"; }
KLOGS=()
for spec in "alias-krb5-sign|$ALIAS_FQDN|sign" "alias-spnego-sign|$ALIAS_FQDN|spnego,sign" \
            "nospn-krb5-sign|$NOSPN_FQDN|sign"; do
  IFS='|' read -r label host opts <<< "$spec"
  binding="ncacn_ip_tcp:${host}[${opts}]"
  rc=0
  ip netns exec "$CLI_NS" rpcclient -s "$KRB/smb.conf" -d 10 --use-kerberos=required \
    --use-krb5-ccache="$KRB5CCNAME" -U "$ADMIN" "$binding" -c enumdomains \
    > "$KRB/rpcclient.$label.log" 2>&1 < /dev/null || rc=$?
  echo "         rpcclient $binding -c enumdomains -> exit $rc"
  KLOGS+=(--log "$label|$KRB/rpcclient.$label.log|$binding|enumdomains|$rc")
done
cap_stop
unset KRB5_CONFIG KRB5CCNAME
"$PY" "$CLIENTS" kerberos_expected --scenario-name rp_ret_kerberos --out "$OUT" --server "$SRV_IP" \
  --client "$CLI_IP" --state "$OUT/.rp_ret_kerberos.state.json" "${KLOGS[@]}"

step "scenario rp_fw_reject: ept_map answered, SYNs to the dynamic port rejected with a TCP reset"
cap_start rp_fw_reject
port=$(cli firewall_map --scenario-name rp_fw_reject)
if ! [[ "$port" =~ ^[0-9]+$ ]] || [ "$port" -eq 0 ]; then die "ept_map gave no port: '$port'"; fi
ip netns exec "$SRV_NS" nft -f - <<EOF
table inet rpct {
	chain input {
		type filter hook input priority 0; policy accept;
		tcp dport $port tcp flags & (syn | ack) == syn reject with tcp reset
	}
}
EOF
cli firewall_connect --scenario-name rp_fw_reject --firewall "reject with tcp reset" --timeout "$FW_TIMEOUT"
ip netns exec "$SRV_NS" nft delete table inet rpct
cap_stop

# ---------------------------------------------------------------------------
# check and summarise
# ---------------------------------------------------------------------------
step "checking captures with tshark"
SCENARIOS="rp_epm_lookup rp_epm_map_samr rp_np_samr rp_np_services rp_np_refused rp_np_encrypted rp_np_smb1
           rp_auth_levels rp_kerberos rp_errors rp_firewall
           rp_ret_samr rp_ret_services rp_ret_denied rp_ret_badpass rp_ret_kerberos rp_fw_reject"
NO_PDU="rp_np_refused rp_np_encrypted"   # no DCE/RPC in clear: refused before any, or encrypted
printf '\n%-17s %9s %7s  %-70s %s\n' scenario bytes frames "DCE/RPC PDUs by type" "auth type/level"
for s in $SCENARIOS; do
  f="$OUT/$s.pcap"
  [ -s "$f" ] || die "$f missing"
  [ -s "$OUT/$s.expected.json" ] || die "$OUT/$s.expected.json missing"
  frames=$(tshark -r "$f" -T fields -e frame.number 2>/dev/null | wc -l)
  pdus=$(tshark -r "$f" -Y dcerpc -T fields -E occurrence=a -E aggregator=, -e dcerpc.pkt_type 2>/dev/null \
    | tr ',' '\n' | awk 'NF{c[$1]++} END{
        split("request,ping,response,fault,working,nocall,reject,ack,cl_cancel,fack,cancel_ack,bind,bind_ack,bind_nak,alter_context,alter_context_resp,auth3,shutdown,co_cancel,orphaned,rts", n, ",");
        for (t in c) printf "%s=%d ", n[t+1], c[t]}' | tr ' ' '\n' | sort | tr '\n' ' ')
  auth=$(tshark -r "$f" -Y 'dcerpc.auth_type' -T fields -E occurrence=a -E aggregator=, \
    -e dcerpc.auth_type -e dcerpc.auth_level 2>/dev/null | awk -F'\t' '{
        n=split($1,a,","); split($2,b,","); for(i=1;i<=n;i++) s[a[i]"/"b[i]]=1} END{for(k in s) printf "%s ", k}' \
    | tr ' ' '\n' | sort -u | tr '\n' ' ')
  mal_rpc=$(tshark -r "$f" -Y '_ws.malformed && dcerpc' -T fields -e frame.number 2>/dev/null | wc -l)
  mal_other=$(tshark -r "$f" -Y '_ws.malformed && !dcerpc' -T fields -e frame.protocols 2>/dev/null \
    | awk -F: '{print $NF}' | sort | uniq -c | awk '{printf "%s%s x%s", (NR>1?", ":""), $2, $1}')
  note=""
  [ "$mal_rpc" -gt 0 ] && note="  MALFORMED DCE/RPC frames: $mal_rpc"
  [ -n "$mal_other" ] && note="$note  (tshark malformed, not DCE/RPC: $mal_other)"
  printf '%-17s %9s %7s  %-70s %s%s\n' "$s" "$(stat -c %s "$f")" "$frames" "${pdus:-none}" "${auth:--}" "$note"
  case " $NO_PDU " in
    *" $s "*) [ -z "$pdus" ] || die "$f: tshark sees DCE/RPC PDUs ($pdus) where none can be in clear" ;;
    *) [ -n "$pdus" ] || die "$f has no DCE/RPC PDU" ;;
  esac
done
echo
step "done in $(elapsed) s"
