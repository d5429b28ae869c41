#!/usr/bin/env python3
"""Markdown listing of what `rpctrace diagnose` finds on each capture given, for docs/diagnose.md:
per capture its exit status and its findings (identical ones counted, "(xN)"), then the
captures with no finding. Usage: diagnose_listing.py --rpctrace BIN CAPTURE..."""
import argparse
import collections
import json
import os
import subprocess


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rpctrace", required=True)
    ap.add_argument("captures", nargs="+")
    a = ap.parse_args()
    quiet = []
    for path in sorted(a.captures, key=os.path.basename):
        p = subprocess.run([a.rpctrace, "diagnose", "--format", "jsonl", path],
                           capture_output=True, text=True)
        lines = collections.Counter()
        for line in p.stdout.splitlines():
            r = json.loads(line)
            if r.get("type") == "finding":
                lines[f"[{r['severity']}] {r['message']}"] += r.get("count", 1)
        name = os.path.basename(path)
        if not lines:
            quiet.append(f"- {name} (exit {p.returncode})")
            continue
        print(f"### {name} (exit {p.returncode})\n")
        for text in sorted(lines):
            print(f"- {text}" + (f" (x{lines[text]})" if lines[text] > 1 else ""))
        print()
    if quiet:
        print("### Captures with no finding\n")
        print("\n".join(quiet))


if __name__ == "__main__":
    main()
