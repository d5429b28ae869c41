#!/usr/bin/env python3
"""Load rpctrace's JSON Lines into a real PostgreSQL and query it.

Runs `rpctrace summary FILE --format jsonl` and `rpctrace stats FILE --format jsonl` over
captures in testdata/, loads every line into `records(file text, line int, doc jsonb)` with
COPY on a throwaway server (initdb in a temporary directory, listening on a Unix socket there
and nowhere else), and checks:

  - every line was loaded (rows per stream = lines per stream) and comes back from jsonb equal
    to what Python parses (so COPY's quoting and JSON escapes survive the trip);
  - "summary" and "op_stats" records carry "schema_version": 1 (docs/summary.md) and each
    stream ends with its "stats" record;
  - figures computed by SQL over the jsonb (conversations per capture, latency percentiles,
    calls and faults per interface, calls per operation) equal the same figures computed in
    Python straight from the lines;
  - the two commands agree with each other (a capture's summary records = its stats record's
    conversations_shown; summary calls = op_stats calls, per interface and opnum).

Needs PostgreSQL's server binaries (Debian: package postgresql, /usr/lib/postgresql/N/bin; the
highest N is used). Without them it exits 77 (ctest: skipped), unless RPCTRACE_REQUIRE_POSTGRES=1,
then 1. PostgreSQL does not run as root: as root the server, initdb and psql run as the
`postgres` user (runuser -u postgres --). RPCTRACE_POSTGRES_BIN_GLOB replaces the search
pattern (for testing the skip).

Exit status: 0 all checks passed, 1 a check failed (or setup failed), 2 usage, 77 skipped.
"""
import argparse
import csv
import glob
import io
import json
import math
import os
import pathlib
import pwd
import re
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from decimal import Decimal

SKIP = 77
DEFAULT_BIN_GLOB = "/usr/lib/postgresql/*/bin"
PG_USER = "postgres"        # the system user that runs the server when we are root
DB_SUPERUSER = "postgres"   # the database superuser initdb creates
PORT = 54329                # any: the socket lives in our own directory

# The five the test names, then a few more for faults, error returns, UDP, a bind not
# captured (interface null) and RPC over HTTP failures.
CAPTURES = [
    "kb159298_story.pcap", "diag_unanswered_and_slow.pcap", "rp_np_samr.pcap",
    "http_v2_exchange.pcap", "rp_epm_map_samr.pcap",
    "diag_faults.pcap", "rp_ret_denied.pcap", "cl_failures.pcap", "reassembly_mix.pcap",
    "http_v2_failures.pcap",
]
COMMANDS = ("summary", "stats")
VERSIONED_TYPES = ("summary", "op_stats")   # docs/summary.md: these carry schema_version 1
SCHEMA_VERSION = 1
P = 0.95                                    # the percentile the queries take


class Failure(Exception):
    pass


class Skip(Exception):
    pass


def log(msg=""):
    print(msg, flush=True)


# --- finding PostgreSQL -------------------------------------------------------------------

def version_key(bindir):
    """(15,) for /usr/lib/postgresql/15/bin; non-numeric versions sort first."""
    name = pathlib.Path(bindir).parent.name
    nums = re.findall(r"\d+", name)
    return tuple(int(n) for n in nums) if nums else (-1,)


def find_postgres():
    pattern = os.environ.get("RPCTRACE_POSTGRES_BIN_GLOB") or DEFAULT_BIN_GLOB
    candidates = []
    for d in glob.glob(pattern):
        tools = {t: os.path.join(d, t) for t in ("initdb", "pg_ctl", "postgres")}
        if all(os.path.isfile(p) and os.access(p, os.X_OK) for p in tools.values()):
            candidates.append(d)
    if not candidates:
        raise Skip(f"no PostgreSQL server binaries (initdb, pg_ctl, postgres) under {pattern} "
                   "(Debian: apt-get install postgresql)")
    bindir = max(candidates, key=version_key)
    tools = {t: os.path.join(bindir, t) for t in ("initdb", "pg_ctl", "postgres")}
    psql = os.path.join(bindir, "psql")
    if not (os.path.isfile(psql) and os.access(psql, os.X_OK)):
        psql = shutil.which("psql")
        if not psql:
            raise Skip(f"PostgreSQL server in {bindir} but no psql client")
    tools["psql"] = psql
    return bindir, tools


# --- running things, as the postgres user when we are root --------------------------------

class Runner:
    def __init__(self, workdir):
        self.root = os.geteuid() == 0
        self.workdir = workdir
        self.prefix = []
        self.user_kw = {}
        if self.root:
            try:
                pw = pwd.getpwnam(PG_USER)
            except KeyError:
                raise Skip(f"running as root and there is no '{PG_USER}' user to run the "
                           "server as (Debian's postgresql package creates it)")
            self.uid, self.gid = pw.pw_uid, pw.pw_gid
            runuser = shutil.which("runuser") or ("/usr/sbin/runuser"
                                                   if os.path.exists("/usr/sbin/runuser") else None)
            if runuser:
                self.prefix = [runuser, "-u", PG_USER, "--"]
            else:  # no util-linux runuser: drop privileges in the child ourselves
                self.user_kw = {"user": self.uid, "group": self.gid, "extra_groups": []}
        # A clean environment: no PG* variables from the caller, English messages, UTF-8.
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        self.env.update(LC_ALL="C", LANG="C", PGCLIENTENCODING="UTF8")
        if self.root and workdir:
            self.env["HOME"] = workdir  # psql and postgres look at $HOME; /root is not theirs

    def run(self, argv, what, timeout, input_bytes=None, check=True):
        try:
            p = subprocess.run(self.prefix + argv, input=input_bytes, capture_output=True,
                               timeout=timeout, cwd=self.workdir, env=self.env, **self.user_kw)
        except subprocess.TimeoutExpired:
            raise Failure(f"{what}: no answer in {timeout} s ({' '.join(argv)})")
        except OSError as e:
            raise Failure(f"{what}: cannot run {argv[0]}: {e}")
        if check and p.returncode != 0:
            raise Failure(f"{what} failed (exit {p.returncode}): {' '.join(argv)}\n"
                          + p.stdout.decode("utf-8", "replace")
                          + p.stderr.decode("utf-8", "replace"))
        return p


def make_workdir(root_mode):
    """A private temporary directory the postgres user can reach, with a short enough path
    for the server's socket (sun_path is 108 octets)."""
    bases = [None, "/tmp", "/var/tmp"]
    why = []
    for base in bases:
        if base is not None and not os.path.isdir(base):
            continue
        d = tempfile.mkdtemp(prefix="rpctrace-pg-", dir=base)
        d = os.path.realpath(d)
        sock = os.path.join(d, f".s.PGSQL.{PORT}")
        problem = None
        if len(sock.encode()) >= 104:
            problem = f"{d}: path too long for a Unix socket"
        elif root_mode:
            # Every directory above it must let 'other' (the postgres user) through.
            parent = os.path.dirname(d)
            while True:
                st = os.stat(parent)
                if not st.st_mode & stat.S_IXOTH:
                    problem = f"{d}: {parent} is not traversable by other users"
                    break
                if parent == "/":
                    break
                parent = os.path.dirname(parent)
        if problem is None:
            return d
        why.append(problem)
        shutil.rmtree(d, ignore_errors=True)
    raise Failure("no usable temporary directory: " + "; ".join(why))


class Server:
    def __init__(self, tools, runner, workdir):
        self.tools = tools
        self.r = runner
        self.workdir = workdir
        self.data = os.path.join(workdir, "data")
        self.logfile = os.path.join(workdir, "server.log")
        self.started = False

    def server_log(self):
        try:
            with open(self.logfile, encoding="utf-8", errors="replace") as f:
                return f.read()
        except OSError as e:
            return f"(no server log: {e})"

    def init_and_start(self):
        self.r.run([self.tools["initdb"], "-D", self.data, "-U", DB_SUPERUSER, "-E", "UTF8",
                    "--locale=C", "--auth=trust", "--no-sync"], "initdb", timeout=120)
        conf = os.path.join(self.data, "postgresql.conf")
        sockdir = self.workdir.replace("'", "''")
        with open(conf, "a") as f:  # appending keeps the file's owner (postgres)
            f.write("\n# rpctrace tests/db/postgres_load.py: Unix socket only, in its own dir\n"
                    "listen_addresses = ''\n"
                    f"unix_socket_directories = '{sockdir}'\n"
                    f"port = {PORT}\n"
                    "max_connections = 10\n"
                    "shared_buffers = 16MB\n"
                    "fsync = off\n"
                    "synchronous_commit = off\n"
                    "full_page_writes = off\n")
        # From here on stop() tries: pg_ctl may start the server even when it fails or is
        # interrupted.
        self.started = True
        p = self.r.run([self.tools["pg_ctl"], "-D", self.data, "-l", self.logfile, "-w",
                        "-t", "60", "start"], "pg_ctl start", timeout=90, check=False)
        if p.returncode != 0:
            raise Failure(f"pg_ctl start failed (exit {p.returncode}):\n"
                          + p.stdout.decode("utf-8", "replace")
                          + p.stderr.decode("utf-8", "replace")
                          + "\n--- server log ---\n" + self.server_log())

    def stop(self):
        if not self.started or not os.path.exists(os.path.join(self.data, "postmaster.pid")):
            return
        for mode in ("fast", "immediate"):
            try:
                p = self.r.run([self.tools["pg_ctl"], "-D", self.data, "-m", mode, "-w",
                                "-t", "30", "stop"], f"pg_ctl stop -m {mode}", timeout=45,
                               check=False)
            except Failure as e:
                log(f"warning: {e}")
                continue
            if p.returncode == 0 or not os.path.exists(os.path.join(self.data,
                                                                     "postmaster.pid")):
                return
            log(f"warning: pg_ctl stop -m {mode} exited {p.returncode}: "
                + p.stderr.decode("utf-8", "replace").strip())
        try:  # last resort: the postmaster's pid
            with open(os.path.join(self.data, "postmaster.pid")) as f:
                pid = int(f.readline())
            os.kill(pid, signal.SIGKILL)
            log(f"warning: killed postmaster {pid}")
        except (OSError, ValueError) as e:
            log(f"warning: could not stop the server: {e}")

    def psql_argv(self, *extra):
        return [self.tools["psql"], "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", self.workdir,
                "-p", str(PORT), "-U", DB_SUPERUSER, "-d", "postgres", *extra]

    def sql(self, query, what):
        p = self.r.run(self.psql_argv("-A", "-t", "-c", query), f"query {what}", timeout=60)
        return p.stdout.decode("utf-8").rstrip("\n")

    def sql_json(self, query, what):
        """Runs a query returning one json/jsonb value; numbers come back as Decimal/int."""
        out = self.sql(query, what)
        try:
            return json.loads(out, parse_float=Decimal) if out else None
        except ValueError as e:
            raise Failure(f"query {what}: not JSON ({e}): {out[:500]}")

    def copy_in(self, csv_bytes, what):
        self.r.run(self.psql_argv("-c", "COPY records (file, line, doc) FROM STDIN "
                                        "WITH (FORMAT csv, QUOTE '\"', ENCODING 'UTF8')"),
                   what, timeout=120, input_bytes=csv_bytes)


# --- rpctrace output ------------------------------------------------------------------------

def run_rpctrace(rpctrace, testdata, captures):
    """{stream name: [(line number, text, parsed)]}, stream name 'CAPTURE.COMMAND.jsonl'."""
    streams = {}
    for cap in captures:
        for cmd in COMMANDS:
            argv = [rpctrace, cmd, cap, "--format", "jsonl"]
            try:
                p = subprocess.run(argv, capture_output=True, timeout=120, cwd=testdata)
            except subprocess.TimeoutExpired:
                raise Failure(f"rpctrace {cmd} {cap}: no answer in 120 s")
            if p.returncode != 0:
                raise Failure(f"rpctrace {cmd} {cap} exited {p.returncode}: "
                              + p.stderr.decode("utf-8", "replace").strip())
            try:
                text = p.stdout.decode("utf-8")
            except UnicodeDecodeError as e:
                raise Failure(f"rpctrace {cmd} {cap}: output is not UTF-8: {e}")
            if not text.endswith("\n"):
                raise Failure(f"rpctrace {cmd} {cap}: output does not end with a newline")
            lines = []
            for n, line in enumerate(text[:-1].split("\n"), 1):
                try:
                    doc = json.loads(line, parse_float=Decimal)
                except ValueError as e:
                    raise Failure(f"rpctrace {cmd} {cap} line {n}: not JSON ({e}): {line[:200]}")
                if not isinstance(doc, dict) or "type" not in doc:
                    raise Failure(f"rpctrace {cmd} {cap} line {n}: not an object with 'type'")
                lines.append((n, line, doc))
            streams[f"{pathlib.Path(cap).stem}.{cmd}.jsonl"] = lines
    return streams


def to_csv(streams):
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n", quotechar='"', quoting=csv.QUOTE_MINIMAL,
                   doublequote=True)
    for name, lines in streams.items():
        for n, text, _ in lines:
            w.writerow([name, n, text])
    return buf.getvalue().encode("utf-8")


# --- figures, in Python ---------------------------------------------------------------------

def capture_of(stream):
    return re.sub(r"\.(summary|stats)\.jsonl$", "", stream)


def iface_label(iface):
    """An op_stats/operations interface: its name, else uuid vversion; null: bind not captured."""
    if iface is None:
        return "(bind not captured)"
    return iface.get("name") or f"{iface['uuid']} v{iface['version']}"


def percentile_disc(values, p):
    """PostgreSQL's percentile_disc: the first value whose rank reaches ceil(p * n)."""
    v = sorted(values)
    rank = max(1, math.ceil(p * len(v)))
    return v[rank - 1]


def percentile_cont(values, p):
    """PostgreSQL's percentile_cont over float8: linear between the two nearest ranks."""
    v = sorted(float(x) for x in values)
    pos = p * (len(v) - 1)
    lo, hi = math.floor(pos), math.ceil(pos)
    return v[lo] + (pos - lo) * (v[hi] - v[lo])


def python_figures(streams):
    f = {}
    docs = [(name, n, d) for name, lines in streams.items() for n, _, d in lines]
    f["rows_per_stream"] = {name: len(lines) for name, lines in streams.items()}
    f["missing_schema_version"] = sum(
        1 for _, _, d in docs if d["type"] in VERSIONED_TYPES
        and not (type(d.get("schema_version")) is int and d["schema_version"] == SCHEMA_VERSION))
    f["streams_not_ending_with_stats"] = sorted(
        name for name, lines in streams.items() if lines[-1][2]["type"] != "stats")
    summaries = [(name, d) for name, _, d in docs if d["type"] == "summary"]
    ops = [(name, d) for name, _, d in docs if d["type"] == "op_stats"]
    stats = {name: d for name, _, d in docs if d["type"] == "stats"}

    # (a) conversations per capture, and the stats record's conversations_shown beside it
    conv = {}
    for name in streams:
        if name.endswith(".summary.jsonl"):
            conv[capture_of(name)] = {
                "conversations": sum(1 for s, _ in summaries if s == name),
                "conversations_shown": stats[name].get("conversations_shown")}
    f["conversations_per_capture"] = conv

    # (b) latency percentiles
    srt_max = [d["srt_max_s"] for _, d in ops if "srt_max_s" in d]
    f["op_srt_max_count"] = len(srt_max)
    f["op_srt_max_p95_disc"] = percentile_disc(srt_max, P) if srt_max else None
    f["op_srt_max_p95_cont"] = percentile_cont(srt_max, P) if srt_max else None
    call_p95 = defaultdict(list)
    for name, d in summaries:
        v = (d.get("latency") or {}).get("call_p95_s")
        if v is not None:
            call_p95[capture_of(name)].append(v)
    f["conv_call_p95_median_per_capture"] = {c: percentile_disc(v, 0.5)
                                             for c, v in call_p95.items()}

    # (c) calls, faults, error returns per interface across captures (op_stats)
    per_iface = defaultdict(lambda: [0, 0, 0, 0])
    for _, d in ops:
        t = per_iface[iface_label(d["interface"])]
        t[0] += d["calls"]; t[1] += d["answered"]; t[2] += d["faults"]; t[3] += d["error_returns"]
    f["per_interface"] = {k: {"calls": v[0], "answered": v[1], "faults": v[2],
                              "error_returns": v[3]} for k, v in per_iface.items()}
    f["verdicts"] = dict(Counter(d["verdict"] for _, d in summaries))

    # (d) join of the two commands per capture: calls in summary records vs op_stats records
    calls = {}
    for name in streams:
        if name.endswith(".summary.jsonl"):
            cap = capture_of(name)
            calls[cap] = {
                "summary_calls": sum(d["calls"] for s, d in summaries if s == name),
                "op_stats_calls": sum(d["calls"] for s, d in ops if capture_of(s) == cap)}
    f["calls_per_capture"] = calls

    # (e) summary operations unnested, by capture, interface uuid/version and opnum, against
    # op_stats: the keys where the two differ
    def key(cap, iface, opnum):
        return (f"{cap}|{iface['uuid']}|{iface['version']}|{opnum}" if iface
                else f"{cap}|||{opnum}")
    a, b = Counter(), Counter()
    for name, d in summaries:
        for o in d.get("operations", []):
            a[key(capture_of(name), o["interface"], o["opnum"])] += o["calls"]
    for name, d in ops:
        b[key(capture_of(name), d["interface"], d["opnum"])] += d["calls"]
    f["operations_rows"] = len(set(a) | set(b))
    f["operations_differ"] = {k: [a.get(k, 0), b.get(k, 0)] for k in sorted(set(a) | set(b))
                              if a.get(k, 0) != b.get(k, 0)}
    return f


# --- the same figures in SQL ------------------------------------------------------------------

CAP = r"regexp_replace(file, '\.(summary|stats)\.jsonl$', '')"
IFACE = ("CASE WHEN jsonb_typeof(doc->'interface') = 'null' THEN '(bind not captured)' "
         "ELSE coalesce(doc->'interface'->>'name', "
         "(doc->'interface'->>'uuid') || ' v' || (doc->'interface'->>'version')) END")

# Calls per capture, interface and opnum: a from the summary records' operations[] (unnested),
# b from the op_stats records. A null interface (bind not captured) keys as '' so that the
# join matches it.
OPS_JOIN = (
    "WITH a AS ("
    f"  SELECT {CAP} AS cap, coalesce(op->'interface'->>'uuid', '') AS uuid, "
    "         coalesce(op->'interface'->>'version', '') AS ver, (op->>'opnum')::int AS opnum, "
    "         sum((op->>'calls')::int) AS calls "
    "  FROM records, jsonb_array_elements(doc->'operations') AS op "
    "  WHERE doc->>'type' = 'summary' GROUP BY 1, 2, 3, 4), "
    "b AS ("
    f"  SELECT {CAP} AS cap, coalesce(doc->'interface'->>'uuid', '') AS uuid, "
    "         coalesce(doc->'interface'->>'version', '') AS ver, (doc->>'opnum')::int AS opnum, "
    "         sum((doc->>'calls')::int) AS calls "
    "  FROM records WHERE doc->>'type' = 'op_stats' GROUP BY 1, 2, 3, 4)")

QUERIES = {
    "rows_per_stream":
        "SELECT jsonb_object_agg(file, n) FROM (SELECT file, count(*) AS n FROM records "
        "GROUP BY file) t",
    "missing_schema_version":
        "SELECT count(*) FROM records WHERE doc->>'type' IN ('summary', 'op_stats') "
        f"AND (doc->'schema_version') IS DISTINCT FROM '{SCHEMA_VERSION}'::jsonb",
    "streams_not_ending_with_stats":
        "SELECT coalesce(jsonb_agg(r.file ORDER BY r.file), '[]') FROM records r "
        "JOIN (SELECT file, max(line) AS last FROM records GROUP BY file) l "
        "ON r.file = l.file AND r.line = l.last WHERE r.doc->>'type' <> 'stats'",
    "conversations_per_capture":
        f"SELECT jsonb_object_agg(cap, jsonb_build_object('conversations', n, "
        "'conversations_shown', shown)) FROM ("
        f"  SELECT {CAP} AS cap, count(*) FILTER (WHERE doc->>'type' = 'summary') AS n, "
        "         max((doc->>'conversations_shown')::int) FILTER (WHERE doc->>'type' = 'stats') "
        "           AS shown "
        "  FROM records WHERE file LIKE '%.summary.jsonl' GROUP BY 1) t",
    "op_srt_max_count":
        "SELECT count(*) FROM records WHERE doc->>'type' = 'op_stats' AND doc ? 'srt_max_s'",
    "op_srt_max_p95_disc":
        f"SELECT to_jsonb(percentile_disc({P}) WITHIN GROUP (ORDER BY "
        "(doc->>'srt_max_s')::numeric)) FROM records "
        "WHERE doc->>'type' = 'op_stats' AND doc ? 'srt_max_s'",
    "op_srt_max_p95_cont":
        f"SELECT to_jsonb(percentile_cont({P}) WITHIN GROUP (ORDER BY "
        "(doc->>'srt_max_s')::float8)) FROM records "
        "WHERE doc->>'type' = 'op_stats' AND doc ? 'srt_max_s'",
    "conv_call_p95_median_per_capture":
        "SELECT coalesce(jsonb_object_agg(cap, m), '{}') FROM ("
        f"  SELECT {CAP} AS cap, percentile_disc(0.5) WITHIN GROUP (ORDER BY "
        "         (doc->'latency'->>'call_p95_s')::numeric) AS m "
        "  FROM records WHERE doc->>'type' = 'summary' "
        "    AND doc->'latency' ? 'call_p95_s' GROUP BY 1) t",
    "per_interface":
        "SELECT jsonb_object_agg(iface, jsonb_build_object('calls', calls, 'answered', answered, "
        "'faults', faults, 'error_returns', errs)) FROM ("
        f"  SELECT {IFACE} AS iface, sum((doc->>'calls')::int) AS calls, "
        "         sum((doc->>'answered')::int) AS answered, sum((doc->>'faults')::int) AS faults, "
        "         sum((doc->>'error_returns')::int) AS errs "
        "  FROM records WHERE doc->>'type' = 'op_stats' GROUP BY 1) t",
    "verdicts":
        "SELECT jsonb_object_agg(v, n) FROM (SELECT doc->>'verdict' AS v, count(*) AS n "
        "FROM records WHERE doc->>'type' = 'summary' GROUP BY 1) t",
    "calls_per_capture":
        "SELECT jsonb_object_agg(s.cap, jsonb_build_object('summary_calls', s.calls, "
        "'op_stats_calls', coalesce(o.calls, 0))) FROM "
        f"  (SELECT {CAP} AS cap, coalesce(sum((doc->>'calls')::int) FILTER "
        "      (WHERE doc->>'type' = 'summary'), 0) AS calls "
        "   FROM records WHERE file LIKE '%.summary.jsonl' GROUP BY 1) s "
        f"LEFT JOIN (SELECT {CAP} AS cap, sum((doc->>'calls')::int) AS calls FROM records "
        "   WHERE doc->>'type' = 'op_stats' GROUP BY 1) o ON o.cap = s.cap",
    "operations_rows":
        f"{OPS_JOIN} SELECT count(*) FROM a FULL JOIN b USING (cap, uuid, ver, opnum)",
    "operations_differ":
        f"{OPS_JOIN} SELECT coalesce(jsonb_object_agg(cap || '|' || uuid || '|' || ver || '|' "
        "|| opnum, jsonb_build_array(coalesce(a.calls, 0), coalesce(b.calls, 0))), '{}') "
        "FROM a FULL JOIN b USING (cap, uuid, ver, opnum) "
        "WHERE coalesce(a.calls, 0) <> coalesce(b.calls, 0)",
}


def same(a, b):
    """Equal, floats within a relative 1e-12 (percentile_cont is computed in float8)."""
    if isinstance(a, (float, Decimal)) and isinstance(b, (float, Decimal)) and \
            (isinstance(a, float) or isinstance(b, float)):
        return math.isclose(float(a), float(b), rel_tol=1e-12, abs_tol=1e-15)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    return a == b


def show(v):
    return json.dumps(v, sort_keys=True, default=str)


# --- main -----------------------------------------------------------------------------------

def check(streams, server, every_capture):
    failures = []
    total = sum(len(v) for v in streams.values())

    server.sql("CREATE TABLE records (file text NOT NULL, line int NOT NULL, doc jsonb NOT NULL, "
               "PRIMARY KEY (file, line))", "create table")
    t0 = time.monotonic()
    server.copy_in(to_csv(streams), "COPY records")
    load_s = time.monotonic() - t0
    rows = int(server.sql("SELECT count(*) FROM records", "row count"))
    if rows != total:
        failures.append(f"row count: database {rows}, JSON Lines {total}")

    # Round trip: every document back out of jsonb equals what Python parsed from the line.
    back = server.sql_json("SELECT coalesce(jsonb_agg(jsonb_build_array(file, line, doc) "
                           "ORDER BY file, line), '[]') FROM records", "round trip") or []
    got = {(f, n): d for f, n, d in back}
    differ = [(name, n) for name, lines in streams.items() for n, _, d in lines
              if not same(got.get((name, n)), d)]
    escaped = sum(1 for lines in streams.values() for _, text, _ in lines if "\\" in text)
    if differ:
        name, n = differ[0]
        want = streams[name][n - 1][2]
        failures.append(f"round trip: {len(differ)} of {total} documents differ; first "
                        f"{name} line {n}:\n  database {show(got.get((name, n)))}\n"
                        f"  JSON Lines {show(want)}")

    py = python_figures(streams)
    results = {}
    for what, query in QUERIES.items():
        db = server.sql_json(query, what)
        if isinstance(py[what], dict) and db is None:
            db = {}
        results[what] = db
        if not same(db, py[what]):
            failures.append(f"query {what}: database {show(db)}, Python {show(py[what])}")

    # The listed captures were picked for their conversations: one that gives none leaves its
    # part of the test empty (a regression in rpctrace, which the golden test shows too).
    if not every_capture:
        for cap, v in sorted(py["conversations_per_capture"].items()):
            if v["conversations"] == 0:
                failures.append(f"coverage {cap}: rpctrace summary gave no conversation, so "
                                "nothing of it was loaded (rpctrace regression? see the golden "
                                "test)")

    # The two commands against each other (each side already equal in SQL and Python).
    for cap, v in py["conversations_per_capture"].items():
        if v["conversations"] != v["conversations_shown"]:
            failures.append(f"consistency {cap}: {v['conversations']} summary records, stats "
                            f"record says conversations_shown {v['conversations_shown']}")
    for cap, v in py["calls_per_capture"].items():
        if v["summary_calls"] != v["op_stats_calls"]:
            failures.append(f"consistency {cap}: summary calls {v['summary_calls']}, op_stats "
                            f"calls {v['op_stats_calls']}")
    if py["operations_differ"]:
        failures.append("consistency: summary operations and op_stats differ (capture|uuid|"
                        f"version|opnum: [summary, op_stats]) {show(py['operations_differ'])}")
    if py["missing_schema_version"]:
        failures.append(f"{py['missing_schema_version']} summary/op_stats records without "
                        f"\"schema_version\": {SCHEMA_VERSION}")
    if py["streams_not_ending_with_stats"]:
        failures.append("streams not ending with a stats record: "
                        + ", ".join(py["streams_not_ending_with_stats"]))

    # Report
    types = Counter(d["type"] for lines in streams.values() for _, _, d in lines)
    stats_with_version = sum(1 for lines in streams.values() for _, _, d in lines
                             if d["type"] == "stats" and "schema_version" in d)
    log(f"loaded {rows} rows of {total} lines from {len(streams)} streams with COPY (csv) in "
        f"{load_s:.2f} s; by type: " + ", ".join(f"{k} {v}" for k, v in sorted(types.items())))
    log(f"round trip: {total - len(differ)} of {total} documents equal out of jsonb "
        f"({escaped} lines with JSON backslash escapes)")
    log(f"schema_version {SCHEMA_VERSION}: on all {types['summary'] + types['op_stats']} summary "
        f"and op_stats records ({stats_with_version} of {types['stats']} stats records carry one)")
    log("conversations per capture (summary records / stats conversations_shown):")
    for cap, v in sorted(results["conversations_per_capture"].items()):
        log(f"  {cap:32} {v['conversations']:3} / {v['conversations_shown']}")
    log(f"op_stats srt_max_s over {results['op_srt_max_count']} operations: "
        f"p95 percentile_disc {results['op_srt_max_p95_disc']} s, "
        f"percentile_cont {float(results['op_srt_max_p95_cont']):.6f} s")
    log("median of the conversations' call_p95_s per capture: " + ", ".join(
        f"{c} {v}" for c, v in sorted(results["conv_call_p95_median_per_capture"].items())))
    log("calls per interface across captures (calls answered faults error_returns):")
    for k, v in sorted(results["per_interface"].items(), key=lambda kv: (-kv[1]["calls"], kv[0])):
        log(f"  {k:40} {v['calls']:4} {v['answered']:4} {v['faults']:4} {v['error_returns']:4}")
    log("verdicts: " + ", ".join(f"{k} {v}" for k, v in sorted(results["verdicts"].items())))
    log("calls per capture, summary vs op_stats (join): " + ", ".join(
        f"{c} {v['summary_calls']}/{v['op_stats_calls']}"
        for c, v in sorted(results["calls_per_capture"].items())))
    log(f"operations (summary operations[] unnested, full join op_stats): "
        f"{results['operations_rows']} rows, {len(results['operations_differ'])} differ")
    return failures


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rpctrace", required=True, help="the rpctrace binary")
    ap.add_argument("--testdata", required=True, help="the testdata/ folder")
    ap.add_argument("--keep", action="store_true",
                    help="keep the temporary directory (database, server log) for debugging")
    ap.add_argument("--every-capture", action="store_true",
                    help="every .pcap/.pcapng in testdata that rpctrace reads, not the list")
    ap.add_argument("--deadline", type=int, default=150,
                    help="seconds before giving up (the server is still stopped); default 150")
    args = ap.parse_args()
    require = os.environ.get("RPCTRACE_REQUIRE_POSTGRES") == "1"
    started = time.monotonic()

    # ctest's timeout and ^C: leave through the finally blocks, which stop the server.
    def interrupted(signum, _frame):
        raise Failure(f"interrupted ({signal.Signals(signum).name})")
    for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(s, interrupted)

    def deadline(_signum, _frame):
        raise Failure(f"deadline of {args.deadline} s passed")
    signal.signal(signal.SIGALRM, deadline)
    signal.alarm(args.deadline)

    rpctrace = os.path.abspath(args.rpctrace)
    testdata = os.path.abspath(args.testdata)
    workdir = server = None
    try:
        if not (os.path.isfile(rpctrace) and os.access(rpctrace, os.X_OK)):
            raise Failure(f"no rpctrace binary at {rpctrace}")
        if args.every_capture:
            captures = sorted(p.name for p in pathlib.Path(testdata).iterdir()
                              if p.suffix in (".pcap", ".pcapng"))
            readable = []
            for c in captures:  # leave out what rpctrace refuses (not_a_capture.pcap)
                p = subprocess.run([rpctrace, "summary", c, "--format", "jsonl"], cwd=testdata,
                                   capture_output=True, timeout=120)
                if p.returncode == 0:
                    readable.append(c)
                else:
                    log(f"left out {c}: rpctrace exits {p.returncode}")
            captures = readable
        else:
            captures = CAPTURES
            missing = [c for c in captures if not os.path.isfile(os.path.join(testdata, c))]
            if missing:
                raise Failure(f"not in {testdata}: {', '.join(missing)}")

        bindir, tools = find_postgres()
        runner = Runner(None)  # may raise Skip (root without a postgres user)
        workdir = make_workdir(runner.root)
        runner.workdir = workdir
        if runner.root:
            runner.env["HOME"] = workdir
            os.chown(workdir, runner.uid, runner.gid)
        os.chmod(workdir, 0o700)
        log(f"PostgreSQL {bindir}, in {workdir}"
            + (f" as user {PG_USER} (running as root)" if runner.root else ""))

        streams = run_rpctrace(rpctrace, testdata, captures)
        server = Server(tools, runner, workdir)
        server.init_and_start()
        log(server.sql("SELECT version()", "version"))
        failures = check(streams, server, args.every_capture)
        for f in failures:
            log(f"FAIL {f}")
        log(f"{'FAILED' if failures else 'passed'}: {len(captures)} captures, "
            f"{time.monotonic() - started:.1f} s")
        return 1 if failures else 0
    except Skip as e:
        if require:
            log(f"FAIL RPCTRACE_REQUIRE_POSTGRES=1 but: {e}")
            return 1
        log(f"SKIP {e}")
        return SKIP
    except Failure as e:
        log(f"FAIL {e}")
        return 1
    finally:
        signal.alarm(0)
        for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):  # let the cleanup finish
            signal.signal(s, signal.SIG_IGN)
        try:
            if server is not None:
                server.stop()
        finally:
            if workdir is not None:
                if args.keep:
                    log(f"kept {workdir}")
                else:
                    shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
