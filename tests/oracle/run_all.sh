#!/usr/bin/env bash
# Run compare_tshark.py over every capture in the given directories (recursively) and
# print a summary table. Usage: run_all.sh [-v] [DIR...]
#   default DIRs: the repository's testdata/ and ../shared/captures/public beside it
#   -v            also print each capture's disagreement list (otherwise they go to $LOG_DIR)
# Environment: RPCTRACE, TSHARK (passed through), LOG_DIR (default /tmp/rpctrace-oracle).
# A file is a capture when its first four bytes are a pcap, pcapng or NetMon 2.x magic.
# Exit status: 0 all agree (or disagreements are allow-listed), 1 otherwise.
set -u
here=$(cd "$(dirname "$0")" && pwd)
verbose=0
if [ "${1:-}" = "-v" ]; then verbose=1; shift; fi
root=$(cd "$here/../.." && pwd)
[ $# -eq 0 ] && set -- "$root/testdata" "$root/../shared/captures/public"
log_dir=${LOG_DIR:-/tmp/rpctrace-oracle}
mkdir -p "$log_dir"

is_capture() {
  case "$(od -An -tx1 -N4 "$1" 2>/dev/null | tr -d ' \n')" in
    # pcap (us and ns, both byte orders), pcapng, NetMon 2.x ("GMBU"), gzip
    a1b2c3d4|d4c3b2a1|a1b23c4d|4d3cb2a1|0a0d0d0a|474d4255|1f8b*) return 0 ;;
    *) return 1 ;;
  esac
}

# Every format rpctrace reads, as tshark reads it too: the KB walkthroughs and the diagnose
# captures of testdata/ converted to NetMon 2.x (editcap -F netmon2), to one pcapng with an
# Ethernet and a raw-IP interface (mergecap), and gzip-compressed, added to the directories.
if [ "${ORACLE_FORMATS:-1}" = 1 ] && command -v editcap >/dev/null && command -v mergecap >/dev/null; then
  formats="$log_dir/formats"
  rm -rf "$formats" && mkdir -p "$formats"
  for f in "$root"/testdata/kb159298_*.pcap "$root"/testdata/diag_*.pcap; do
    [ -f "$f" ] || continue
    b=$(basename "$f" .pcap)
    editcap -F netmon2 "$f" "$formats/$b.netmon2.cap" 2>/dev/null
    gzip -c "$f" > "$formats/$b.pcap.gz"
    n=$(capinfos -c -M "$f" 2>/dev/null | awk '/Number of packets/ {print $NF}')
    if [ -n "$n" ] && [ "$n" -ge 2 ]; then
      half=$(( (n + 1) / 2 ))
      editcap -r "$f" "$formats/$b.h1.pcap" "1-$half" 2>/dev/null
      editcap -r "$f" "$formats/$b.h2eth.pcap" "$((half + 1))-$n" 2>/dev/null
      editcap -C 14 -T rawip "$formats/$b.h2eth.pcap" "$formats/$b.h2raw.pcap" 2>/dev/null
      mergecap -F pcapng -w "$formats/$b.two_linktypes.pcapng" "$formats/$b.h1.pcap" \
        "$formats/$b.h2raw.pcap" 2>/dev/null
      rm -f "$formats/$b.h1.pcap" "$formats/$b.h2eth.pcap" "$formats/$b.h2raw.pcap"
    fi
  done
  set -- "$@" "$formats"
fi

python3 "$here/retcode_oracle.py" >/dev/null || { echo "retcode_oracle.py self-test failed" >&2; exit 1; }
python3 "$here/cl_oracle.py" >/dev/null || { echo "cl_oracle.py self-test failed" >&2; exit 1; }
python3 "$here/rts_oracle.py" >/dev/null || { echo "rts_oracle.py self-test failed" >&2; exit 1; }
rows=()
retcodes=()   # RETCODE lines: capture, interface, compared agree differ tshark-only rpctrace-only
status=0
for dir in "$@"; do
  [ -d "$dir" ] || { echo "warning: $dir is not a directory" >&2; continue; }
  while IFS= read -r -d '' f; do
    is_capture "$f" || continue
    log="$log_dir/$(basename "$f").txt"
    python3 "$here/compare_tshark.py" --summary "$f" >"$log" 2>&1
    rc=$?
    [ $rc -eq 1 ] && status=1
    [ $rc -eq 2 ] && status=1
    [ $verbose -eq 1 ] && [ $rc -ne 0 ] && grep -v '^SUMMARY' "$log"
    row=$(grep '^SUMMARY' "$log" | tail -n1)
    if [ -z "$row" ]; then   # the script itself failed: show it in the table
      status=1
      row=$(printf 'SUMMARY\t%s\tskip\t-\t-\t-\t-\t-\tERROR (see %s)' "$(basename "$f")" "$log")
    fi
    rows+=("$row")
    while IFS= read -r line; do retcodes+=("$line"); done < <(grep -E '^(RETCODE|RCWHY)' "$log")
  done < <(find "$dir" -type f -print0 | sort -z)
done

# SUMMARY fields: SUMMARY name state tshark rpctrace agreed disagreements unexplained percent|reason
#                 epm-stubs-both-decoded epm-stubs-agreeing epm-entries-and-towers-compared
#                 auth-verifier-fields-compared
#                 return codes: compared agreeing differing tshark-only rpctrace-only
#                 connectionless over UDP: tshark rpctrace agreed disagreements unexplained
#                 epm-stubs epm-agreeing epm-items return-codes-compared return-codes-agreeing
#                 RTS fields compared, RTS fields agreeing (RPC over HTTP v2 RTS PDUs, TCP)
# The first columns are connection-oriented PDUs (TCP, SMB pipes), as before connectionless
# ones were compared; the cl-* columns are the connectionless PDUs over UDP, counted apart.
printf '%s\n' "${rows[@]}" | awk -F'\t' '
  BEGIN {
    fmt = "%-50s %7s %8s %7s %6s %6s %7s %5s %5s %6s %5s %5s %5s %6s %6s %5s %6s %6s %5s %5s\n"
    printf fmt, "capture", "tshark", "rpctrace", "agreed", "diffs", "unexpl", "agree%", \
      "epm", "epmok", "items", "auth", "rc", "rcok", "cl-tsh", "cl-rpc", "cl-ok", "cl-dif", \
      "cl-unx", "rts", "rtsok"
  }
  { name = length($2) > 50 ? substr($2, 1, 47) "..." : $2
    if ($3 == "skip") { printf "%-50s %7s %8s   skipped: %s\n", name, $4, "-", $9; next }
    printf fmt, name, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, \
      $19 + 0, $20 + 0, $21 + 0, $22 + 0, $23 + 0, $29 + 0, $30 + 0
    t += $4; r += $5; a += $6; d += $7; u += $8; e += $10; eo += $11; ei += $12; au += $13
    rc += $14; rco += $15
    ct += $19; cr += $20; ca += $21; cd += $22; cu += $23; ce += $24; ceo += $25; cei += $26
    crc += $27; crco += $28; rts += $29; rtso += $30 }
  END { m = t > r ? t : r
        cm = ct > cr ? ct : cr
        printf fmt, "TOTAL", t, r, a, d, u, m ? sprintf("%.1f", 100 * a / m) : "-", e, eo, ei, au,
          rc, rco, ct, cr, ca, cd, cu, rts, rtso
        print "epm: EPM stubs both tools decoded; epmok: of those, identical content;" \
              " items: ept_lookup entries and ept_map towers compared;" \
              " auth: sec_trailer and auth_value fields compared (pad, context id, NTLMSSP," \
              " Kerberos, SPNEGO, Netlogon); rc: responses whose return code both tools" \
              " decoded; rcok: of those, the same value; cl-*: connectionless PDUs over UDP" \
              " (tshark, rpctrace, agreeing on every field, disagreements, unexplained);" \
              " rts: RTS PDU fields compared (flags, command count, command types, command" \
              " fields, step name); rtsok: of those, the same value"
        printf "connection-oriented (TCP, SMB pipes): rpctrace %d PDUs, tshark %d over TCP, " \
               "%d agree (%s); %d disagreements, %d unexplained\n", r, t, a, \
               m ? sprintf("%.1f%%", 100 * a / m) : "-", d, u
        printf "RTS (RPC over HTTP v2): %d fields compared, %d agree, %d differ\n", rts, rtso, \
               rts - rtso
        printf "connectionless (UDP): tshark %d PDUs, rpctrace %d, %d agree (%s); %d " \
               "disagreements, %d unexplained; EPM stubs both decoded %d (%d identical, %d " \
               "entries/towers); return codes compared %d, agree %d\n", ct, cr, ca, \
               cm ? sprintf("%.1f%%", 100 * ca / cm) : "-", cd, cu, ce, ceo, cei, crc, crco
        printf "overall: %d of %d PDUs agree (%s); %d unexplained\n", a + ca, m + cm, \
               m + cm ? sprintf("%.1f%%", 100 * (a + ca) / (m + cm)) : "-", u + cu }'
# Return codes per interface (rpctrace's name for it, else tshark's proto), over all captures.
[ ${#retcodes[@]} -gt 0 ] && printf '%s\n' "${retcodes[@]}" | awk -F'\t' '
  BEGIN { fmt = "  %-24s %8s %6s %6s %11s %13s %7s\n"
          print "return codes (tshark status field vs rpctrace return_code, per interface):"
          printf fmt, "interface", "compared", "agree", "differ", "tshark-only", "rpctrace-only", \
            "agree%" }
  $1 == "RCWHY" { why[$3 ": " $4] += $5; next }
  { n[$3] = 1; for (i = 4; i <= 8; i++) { c[$3, i] += $i; tot[i] += $i } }
  END { for (k in n) printf fmt, k, c[k, 4], c[k, 5], c[k, 6], c[k, 7], c[k, 8], \
          c[k, 4] ? sprintf("%.1f", 100 * c[k, 5] / c[k, 4]) : "-" | "sort"
        close("sort")
        printf fmt, "TOTAL", tot[4], tot[5], tot[6], tot[7], tot[8], \
          tot[4] ? sprintf("%.1f", 100 * tot[5] / tot[4]) : "-"
        for (k in why) printf "  %6d  %s\n", why[k], k | "sort -k2"
        close("sort -k2") }'
echo "per-capture details: $log_dir"
exit $status
