#!/usr/bin/env python3
"""The man page and the shell completions against `rpctrace --help`.

Every command, long and short option of --help must be in docs/rpctrace.1 (an entry of its
OPTIONS or COMMANDS section), in the bash completion (src/cli/completion/rpctrace.bash) and in
the zsh completion (src/cli/completion/_rpctrace); every option they name must still be in
--help; an option's fixed values ({text,jsonl} in --help) must be offered by both completions
and named by the man page's entry, and the completions offer no value --help does not take;
the bash completion's list of options that take a value must be --help's. Names in
tests/cli/docs_options_pending.txt (documented ahead of their code) may be in the documents
and not yet in --help; one that --help has by now is an error, so the list empties as the code
catches up. Then `bash -n` on the bash script and `zsh -n` on the zsh one (skipped when zsh is
not installed).

Usage: docs_options_check.py --rpctrace PATH [--root DIR] [--pending FILE]
Exit status 0 when everything agrees, 1 with one line per disagreement, 2 on a usage error.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys

OPTION = r"(?<![\w-])(--[A-Za-z][\w-]*|-[A-Za-z0-9])(?![\w-])"


class Help:
    def __init__(self, text):
        self.options = set()    # every option name, long and short
        self.takes_value = set()
        self.values = {}        # option name -> set of fixed values
        self.commands = set()
        self._parse(text)

    def _parse(self, text):
        in_commands = False
        for line in text.splitlines():
            # CLI11 option lines: "  -r,--read TEXT ...", "    --format TEXT:{text,jsonl}  ...":
            # the names, then after one space the value's type, if it takes one; the
            # description stands two spaces or more away, or on the next line.
            m = re.match(r"^\s+(-[A-Za-z0-9](?:,--[\w-]+)?|--[\w-]+)(?: ([A-Z]+)(:\S+)?)?(?:\s|$)", line)
            if m:
                names = m.group(1).split(",")
                self.options.update(names)
                if m.group(2):
                    self.takes_value.update(names)
                    choices = re.match(r"^:\{([^}]*)\}$", m.group(3) or "")
                    if choices:
                        vals = {v.strip() for v in choices.group(1).split(",") if v.strip()}
                        for n in names:
                            self.values[n] = vals
            # The "Commands:" list: "  endpoints  what ...", up to the first unindented line.
            if re.match(r"^Commands:\s*$", line):
                in_commands = True
                continue
            if in_commands:
                if line and not line.startswith(" "):
                    in_commands = False
                else:
                    c = re.match(r"^  ([a-z][\w-]*)\s{2,}", line)
                    if c:
                        self.commands.add(c.group(1))
        # The positional's "[endpoints|diagnose|...]".
        for m in re.finditer(r"\[([a-z]+(?:\|[a-z]+)+)\]", text):
            self.commands.update(m.group(1).split("|"))


def roff_text(s):
    """Roff source to plain words: \\- to -, font escapes and quotes removed."""
    s = s.replace("\\-", "-").replace("\\&", "").replace("\\e", "\\")
    s = re.sub(r"\\f(\[[^\]]*\]|\(..|.)", "", s)
    s = re.sub(r"\\\(..", " ", s)
    s = s.replace("\\|", "")
    return s


class ManPage:
    def __init__(self, text):
        self.options = set()      # option tags of .TP entries under OPTIONS
        self.commands = set()     # .TP tags under COMMANDS
        self.entry_text = {}      # option -> its tag and paragraph, plain
        self.values = {}          # option -> values listed in its tag (a|b|c)
        self.mentioned = set()    # long options named anywhere
        self._parse(text)

    def _parse(self, text):
        section = None
        lines = text.splitlines()
        i = 0
        for raw in lines:
            plain = roff_text(raw)
            if not raw.startswith('.\\"'):
                self.mentioned.update(
                    o for o in re.findall(OPTION, plain) if o.startswith("--"))
        while i < len(lines):
            line = lines[i]
            m = re.match(r'^\.SH\s+"?([^"]*)"?\s*$', line)
            if m:
                section = m.group(1).strip().upper()
                i += 1
                continue
            if line.startswith(".TP") and i + 1 < len(lines):
                tag_raw = lines[i + 1]
                body = []
                j = i + 2
                while j < len(lines) and not re.match(r"^\.(TP|SH|SS|PP|P|LP)\b", lines[j]):
                    body.append(lines[j])
                    j += 1
                tag = roff_text(re.sub(r"^\.(B|I|BR|BI|IR|RB|IB|RI)\s+", "", tag_raw))
                tag = tag.replace('"', "")
                if section == "OPTIONS":
                    # Only the names before the first value word: "-r, --read file".
                    head = re.match(r"^\s*((?:-[A-Za-z0-9]|--[\w-]+)(?:\s*,\s*(?:-[A-Za-z0-9]|--[\w-]+))*)", tag)
                    names = re.findall(OPTION, head.group(1)) if head else []
                    paragraph = tag + "\n" + roff_text("\n".join(body))
                    for n in names:
                        self.options.add(n)
                        self.entry_text[n] = paragraph
                    vals = re.search(r"(?:^|\s)([a-z0-9]+(?:\|[a-z0-9]+)+)\s*$", tag)
                    if vals:
                        for n in names:
                            self.values[n] = set(vals.group(1).split("|"))
                elif section == "COMMANDS":
                    c = re.match(r"^\s*([a-z][\w-]*)\s*$", tag)
                    if c:
                        self.commands.add(c.group(1))
                i = j
                continue
            i += 1


def shell_words(s):
    return set(s.split())


class BashCompletion:
    def __init__(self, text):
        self.options = set()
        self.argopts = set()
        self.commands = set()
        self.values = {}
        for name, attr in (("opts", "options"), ("argopts", "argopts"), ("commands", "commands")):
            m = re.search(r'^\s*local %s="([^"]*)"' % name, text, re.M)
            if m:
                setattr(self, attr, shell_words(m.group(1)))
        for m in re.finditer(
                r'^\s*([-\w]+(?:\s*\|\s*[-\w]+)*)\)\s*COMPREPLY=\(\$\(compgen -W "([^"]*)"', text, re.M):
            for n in re.split(r"\s*\|\s*", m.group(1)):
                self.values[n] = shell_words(m.group(2))


class ZshCompletion:
    def __init__(self, text):
        self.options = set()
        self.commands = set()
        self.values = {}
        block = re.search(r"# BEGIN OPTIONS\n(.*?)# END OPTIONS", text, re.S)
        for line in (block.group(1).splitlines() if block else []):
            if not line.strip() or line.strip() in ("opts=(", ")"):
                continue
            spec = re.sub(r"\[[^\]]*\]", "", line)      # descriptions
            names_part = spec.split(":", 1)[0]
            names = set(re.findall(r"(?<![\w-])(--[A-Za-z][\w-]*|-[A-Za-z0-9])(?=[\s,}'=+\[)]|$)",
                                   names_part))
            # Exclusion lists "(- *)" or "(-r --read)" name options too: keep them in the check.
            self.options.update(names)
            v = re.search(r":\(([^)]*)\)'?\s*$", line)
            if v:
                for n in names:
                    self.values[n] = shell_words(v.group(1))
        block = re.search(r"# BEGIN COMMANDS\n(.*?)# END COMMANDS", text, re.S)
        for m in re.finditer(r"^\s*'([a-z][\w-]*):", block.group(1) if block else "", re.M):
            self.commands.add(m.group(1))


def read_pending(path):
    """Names documented ahead of their code: "--color", "-q", "summary" (a command) or
    "--format=zeek" (a value)."""
    pending = set()
    if path and os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            for line in f:
                line = line.split("#", 1)[0].strip()
                if line:
                    pending.add(line)
    return pending


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rpctrace", required=True)
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--root", default=os.path.dirname(os.path.dirname(here)))
    ap.add_argument("--pending", default=os.path.join(here, "docs_options_pending.txt"))
    args = ap.parse_args()

    man_path = os.path.join(args.root, "docs", "rpctrace.1")
    bash_path = os.path.join(args.root, "src", "cli", "completion", "rpctrace.bash")
    zsh_path = os.path.join(args.root, "src", "cli", "completion", "_rpctrace")

    p = subprocess.run([args.rpctrace, "--help"], capture_output=True, text=True, timeout=60)
    if p.returncode != 0:
        print(f"{args.rpctrace} --help: exit status {p.returncode}\n{p.stderr}")
        return 1
    help_ = Help(p.stdout)
    if not help_.options or not help_.commands:
        print("could not read the options or the commands of --help")
        return 1

    def read(path):
        with open(path, encoding="utf-8") as f:
            return f.read()

    man = ManPage(read(man_path))
    bash = BashCompletion(read(bash_path))
    zsh = ZshCompletion(read(zsh_path))
    pending = read_pending(args.pending)

    problems = []
    docs = (("man page (docs/rpctrace.1)", man),
            ("bash completion (src/cli/completion/rpctrace.bash)", bash),
            ("zsh completion (src/cli/completion/_rpctrace)", zsh))

    # --help's commands and options in every document.
    for where, doc in docs:
        for c in sorted(help_.commands - doc.commands):
            problems.append(f"{where}: command `{c}` of --help is missing")
        for o in sorted(help_.options - doc.options):
            problems.append(f"{where}: option {o} of --help is missing")
    # Every document's commands and options still in --help (or pending).
    for where, doc in docs:
        for c in sorted(doc.commands - help_.commands - pending):
            problems.append(f"{where}: command `{c}` is not in --help "
                            "(remove it, or list it in tests/cli/docs_options_pending.txt)")
        for o in sorted(doc.options - help_.options - pending):
            problems.append(f"{where}: option {o} is not in --help "
                            "(remove it, or list it in tests/cli/docs_options_pending.txt)")
    for o in sorted(man.mentioned - man.options - help_.options - pending):
        problems.append(f"man page (docs/rpctrace.1): names {o}, which --help does not have")
    # Fixed values.
    for o, vals in sorted(help_.values.items()):
        for where, doc in docs:
            if o not in doc.options:
                continue   # reported above
            if doc is man:
                text = man.entry_text.get(o, "")
                for v in sorted(vals):
                    if not re.search(r"(?<![\w-])%s(?![\w-])" % re.escape(v), text):
                        problems.append(f"{where}: the entry of {o} does not name its value `{v}`")
                offered = man.values.get(o)
            else:
                offered = doc.values.get(o)
                if offered is None:
                    problems.append(f"{where}: {o} offers no values (--help: {', '.join(sorted(vals))})")
                    continue
                for v in sorted(vals - offered):
                    problems.append(f"{where}: {o} does not offer its value `{v}`")
            for v in sorted((offered or set()) - vals):
                if f"{o}={v}" not in pending:
                    problems.append(f"{where}: {o} offers `{v}`, which --help does not take "
                                    "(remove it, or list it in tests/cli/docs_options_pending.txt)")
    # The bash completion's options that take a value: they decide what the next word is.
    for o in sorted(help_.takes_value - bash.argopts):
        problems.append(f"bash completion: {o} takes a value (--help) but is not in argopts")
    for o in sorted(bash.argopts - help_.takes_value - pending):
        problems.append(f"bash completion: {o} is in argopts but takes no value in --help")
    for o in sorted(bash.argopts - bash.options):
        problems.append(f"bash completion: {o} is in argopts but not in opts")
    # A pending name that --help has by now is no longer pending.
    for name in sorted(pending):
        opt, _, val = name.partition("=")
        done = (val and val in help_.values.get(opt, set())) or \
               (not val and (name in help_.options or name in help_.commands))
        if done:
            problems.append(f"tests/cli/docs_options_pending.txt: {name} is in --help now: "
                            "remove it from the list")

    # Syntax.
    b = subprocess.run(["bash", "-n", bash_path], capture_output=True, text=True)
    if b.returncode != 0:
        problems.append(f"bash -n {bash_path}: {b.stderr.strip()}")
    zsh_bin = shutil.which("zsh")
    if zsh_bin:
        z = subprocess.run([zsh_bin, "-n", zsh_path], capture_output=True, text=True)
        if z.returncode != 0:
            problems.append(f"zsh -n {zsh_path}: {z.stderr.strip()}")
    else:
        print("zsh not installed: zsh -n skipped")

    for line in problems:
        print("FAIL " + line)
    print(f"{len(help_.options)} options and {len(help_.commands)} commands of --help checked "
          f"against the man page and the bash and zsh completions ({len(pending)} pending): "
          f"{len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
