#!/usr/bin/env python3
"""Recall (and what precision can be judged) on third-party material leakhound's authors did not write.

Our own accuracy suite (`fixtures/accuracy/`) was written alongside the rules, so it is a
regression floor, not a measurement. This script scores leakhound, and any peer scanner it finds,
on material written by others:

* `leaky-repo`: Plazmaz/leaky-repo, a repository of planted secrets whose `.leaky-meta/secrets.csv`
  counts, per file, the lines that hold a risky secret. Score per file: distinct reported lines,
  capped at the labelled count (the CSV labels files, not lines, so a reported line beyond the
  count cannot be judged and is listed as "extra").
* `np-examples`: the `examples` and `negative_examples` of Nosey Parker's rule files, one file per
  example. Recall per rule family (the rule file's name) = examples with at least one finding;
  negative examples with a finding are false positives. (Kingfisher's rules descend from Nosey
  Parker's, so it starts with an advantage here.)
* `kf-examples`: the same for Kingfisher's own rule files (`data/rules/*.yml`, `examples:` and
  `negative_examples:`), scored the same way (Kingfisher has the home advantage there).
* `tf-tests`: the table cases of TruffleHog's detector unit tests (`pkg/detectors/*/*_test.go`,
  integration tests left out), read with a tolerant reader of Go string expressions (literals,
  names, `+`, `fmt.Sprintf`, `strings.Repeat`); cases it cannot read are counted and skipped. Each
  case's `input` is one file; a wanted secret counts as found when the scanner reports a finding on
  a line holding it (for a joined `id:secret` want, a line holding one of its non-host parts);
  cases that want nothing are negatives (any finding in the file is a hit). TruffleHog itself is
  not run (these are its own tests: it would score by construction).

Nothing is copied into this repository: the material is read from bare git mirrors at run time,
`MIRRORS/OWNER+NAME/repo` (default `/work/.mirror`, or `--mirrors`); `--fetch` clones a missing
one with `git clone --mirror` from GitHub. The commit scored is printed with each table.

Usage: python3 benches/recall.py [--leakhound PATH] [--peers DIR] [--mirrors DIR] [--fetch]
                                 [--no-peers] [--only leaky-repo|np-examples|kf-examples|tf-tests]
                                 [--misses] [--keep DIR]

`--misses` lists every positive example leakhound misses (family, rule id, file, text) and every
negative example it reports; `--keep DIR` writes the example files there and keeps them, so a
miss can be read with `leakhound explain DIR/FILE:1`.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import re as _re
import shutil
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Callable, Dict, List, Set, Tuple

import yaml  # PyYAML (Debian: python3-yaml)

Hits = Set[Tuple[str, int]]  # (path relative to the scanned root, line)


def git_show(git_dir: Path, spec: str) -> bytes:
    return subprocess.run(["git", "--git-dir", str(git_dir), "show", spec], check=True, capture_output=True).stdout


def mirror(mirrors: Path, owner_name: str, fetch: bool) -> Path:
    """The bare mirror of github.com/OWNER/NAME under `mirrors`, cloned first when `fetch`."""
    git_dir = mirrors / owner_name.replace("/", "+") / "repo"
    if not git_dir.exists():
        if not fetch:
            sys.exit(f"{git_dir} is missing: clone it with --fetch or `git clone --mirror`")
        git_dir.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(["git", "clone", "--quiet", "--mirror", f"https://github.com/{owner_name}", str(git_dir)], check=True)
    commit = subprocess.run(["git", "--git-dir", str(git_dir), "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
    print(f"\n{owner_name} at {commit}")
    return git_dir


def export_tree(git_dir: Path, dest: Path) -> None:
    """Writes the HEAD tree of a bare repository to `dest` (git archive | tar x)."""
    dest.mkdir(parents=True, exist_ok=True)
    archive = subprocess.run(["git", "--git-dir", str(git_dir), "archive", "HEAD"], check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)


# --- scanners ---------------------------------------------------------------------------------

def rel(path: str, root: Path) -> str:
    p = Path(path)
    try:
        return str(p.resolve().relative_to(root.resolve()))
    except ValueError:
        return path.lstrip("./")


def run_leakhound(exe: str, root: Path, extra: List[str]) -> Hits:
    out = subprocess.run([exe, "scan", "-f", "json", "-q", "--no-ignore", *extra, str(root)], capture_output=True)
    doc = json.loads(out.stdout or b"{}")
    return {(rel(loc["path"], root), loc["line"]) for f in doc.get("findings", []) for loc in f["locations"]}


def run_gitleaks_like(exe: str, sub: str, root: Path) -> Hits:
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "out.json"
        if sub == "dir":
            cmd = [exe, "dir", str(root), "--no-banner", "--exit-code", "0", "-f", "json", "-r", str(report)]
        else:
            cmd = [exe, "fs", str(root), "--no-banner", "-o", str(report)]
        subprocess.run(cmd, capture_output=True)
        doc = json.loads(report.read_text() or "[]") if report.exists() else []
    if isinstance(doc, dict):  # betterleaks 2: {"findings": [{"location": {"path", "start_line"}}]}
        return {(rel(i["location"]["path"], root), int(i["location"]["start_line"])) for i in doc.get("findings", [])}
    return {(rel(i["File"], root), int(i["StartLine"])) for i in doc}  # gitleaks: [{"File", "StartLine"}]


def run_kingfisher(exe: str, root: Path) -> Hits:
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "out.json"
        cmd = [exe, "scan", str(root), "-n", "--no-update-check", "--no-dedup", "--git-history", "none", "--format", "json", "-o", str(report)]
        subprocess.run(cmd, capture_output=True)
        text = report.read_text() if report.exists() else ""
    hits: Hits = set()
    for record in _json_records(text):
        for path, line in _kingfisher_locations(record):
            hits.add((rel(path, root), line))
    return hits


def _json_records(text: str) -> List[dict]:
    text = text.strip()
    if not text:
        return []
    try:
        doc = json.loads(text)
        return doc if isinstance(doc, list) else doc.get("findings", [doc])
    except json.JSONDecodeError:
        return [json.loads(line) for line in text.splitlines() if line.strip().startswith("{")]


def _kingfisher_locations(record: dict) -> List[Tuple[str, int]]:
    finding = record.get("finding", record)
    path = finding.get("path") or record.get("path") or ""
    line = finding.get("line") or finding.get("start_line") or 0
    return [(path, int(line))] if path else []


def scanners(args: argparse.Namespace) -> Dict[str, Callable[[Path], Hits]]:
    found: Dict[str, Callable[[Path], Hits]] = {
        "leakhound": lambda root: run_leakhound(args.leakhound, root, []),
        "leakhound (min-confidence medium)": lambda root: run_leakhound(args.leakhound, root, ["--min-confidence", "medium"]),
    }
    peer = lambda name: shutil.which(name, path=args.peers) or shutil.which(name)  # noqa: E731
    if peer("gitleaks"):
        found["gitleaks"] = lambda root: run_gitleaks_like(peer("gitleaks"), "dir", root)
    if peer("betterleaks"):
        found["betterleaks"] = lambda root: run_gitleaks_like(peer("betterleaks"), "fs", root)
    if peer("kingfisher"):
        found["kingfisher"] = lambda root: run_kingfisher(peer("kingfisher"), root)
    return found


# --- leaky-repo --------------------------------------------------------------------------------

def leaky_labels(git_dir: Path) -> Dict[str, int]:
    text = git_show(git_dir, "HEAD:.leaky-meta/secrets.csv").decode()
    rows = csv.reader(io.StringIO("\n".join(l for l in text.splitlines() if l.strip() and not l.startswith("#"))))
    return {row[0]: int(row[1]) for row in rows if len(row) >= 3 and row[1].isdigit() and int(row[1]) > 0}


def score_leaky(git_dir: Path, tools: Dict[str, Callable[[Path], Hits]]) -> None:
    labels = leaky_labels(git_dir)
    total = sum(labels.values())
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "leaky-repo"
        export_tree(git_dir, root)
        shutil.rmtree(root / ".leaky-meta", ignore_errors=True)
        print(f"\n## leaky-repo: {len(labels)} files, {total} labelled risky lines\n")
        print(f"{'scanner':<36} {'found':>6} {'recall':>7} {'files hit':>9} {'extra':>6} {'unlabelled-file hits':>20}")
        misses: Dict[str, List[str]] = {}
        for name, scan in tools.items():
            hits = scan(root)
            by_file: Dict[str, Set[int]] = defaultdict(set)
            for path, line in hits:
                by_file[path].add(line)
            found = sum(min(len(by_file.get(f, ())), n) for f, n in labels.items())
            extra = sum(max(len(by_file.get(f, ())) - n, 0) for f, n in labels.items())
            unlabelled = sum(len(lines) for f, lines in by_file.items() if f not in labels)
            files_hit = sum(1 for f in labels if by_file.get(f))
            misses[name] = [f"{f} ({len(by_file.get(f, ()))}/{n})" for f, n in sorted(labels.items()) if len(by_file.get(f, ())) < n]
            print(f"{name:<36} {found:>6} {found / total:>7.3f} {files_hit:>5}/{len(labels):<3} {extra:>6} {unlabelled:>20}")
        for name, missed in misses.items():
            print(f"\n{name} short of the label in: {', '.join(missed) or 'none'}")


# --- rule examples (Nosey Parker, Kingfisher) -------------------------------------------------

Example = Tuple[str, str, bool, str, bool]  # (family, rule id, positive?, text, secret?)


def is_secret_rule(rule: dict) -> bool:
    """Whether the peer files a rule under secrets: its `categories` say `secret` and not `hashed`
    (a password hash), or it has no categories. Nosey Parker files ARNs, bucket names, OAuth
    client ids, user names and hosts under `identifier` without `secret`."""
    cats = rule.get("categories") or []
    return not cats or ("secret" in cats and "hashed" not in cats)


def ascending_run(chars: List[str], wrap: bool = False) -> int:
    """The longest run of characters each one above the one before (`a b c`, `7 8 9 0` with
    `wrap`, for digits)."""
    best = run = 1 if chars else 0
    for a, b in zip(chars, chars[1:]):
        step = ord(b) - ord(a)
        run = run + 1 if step == 1 or (wrap and a == "9" and b == "0") else 1
        best = max(best, run)
    return best


def periodic(chars: List[str], length: int = 16, max_period: int = 8) -> bool:
    """Whether `length` characters in a row repeat a unit of at most `max_period` characters
    (`abcdabcdabcdabcd`, `xyzxyzxyz...`)."""
    n = len(chars)
    for p in range(1, max_period + 1):
        same = 0
        for i in range(n - p):
            same = same + 1 if chars[i] == chars[i + p] else 0
            if same >= length - p:
                return True
    return False


def made_up(text: str) -> bool:
    """Whether an example is visibly made up, by its text alone (the same for every scanner):
    - a run of 8 ascending characters (`abcdefgh`, `12345678`) or one character 12 times in a row;
    - its letters alone, or its digits alone, count up 8 steps or more: `a1b2c3d4e5f6g7h8`,
      `ABCD1234EFGH5678`, `abc123def456ghi789` (digits may wrap, `7890`);
    - 16 letters and digits in a row that repeat a unit of at most 8 (`abcdabcdabcdabcd`,
      `xyzxyzxyz...`, `123456123456...`);
    - the textbook UUID of RFC 4122's examples, `123e4567-e89b-...`.
    The second and third are tested within one value (a run of letters, digits and `_+.-`).
    A random key holds none of these: each has a chance below 1e-9 per 40 characters. leakhound
    drops such values as placeholders, so the "real" recall figure leaves these examples out; the
    other figures count them."""
    lower = text.lower()
    run = 1
    for a, b in zip(lower, lower[1:]):
        run = run + 1 if a.isalnum() and ord(b) == ord(a) + 1 else 1
        if run >= 8:
            return True
    if any(ch * 12 in lower for ch in set(lower) if ch.isalnum()):
        return True
    if "123e4567" in lower:
        return True
    # The other tests look inside one value at a time (letters, digits and `_+.-`), so that a
    # name and a value, or a user name repeated in a URL, do not add up.
    for token in _re.findall(r"[a-z0-9_+.\-]+", lower):
        letters = [c for c in token if "a" <= c <= "z"]
        digits = [c for c in token if "0" <= c <= "9"]
        if ascending_run(letters) >= 8 or ascending_run(digits, wrap=True) >= 8:
            return True
        if periodic([c for c in token if c.isalnum()]):
            return True
    return False


def rule_examples(git_dir: Path, folder: str) -> List[Example]:
    """(family, rule id, positive?, text, secret?) for every example of every rule file under
    `folder`."""
    listing = subprocess.run(
        ["git", "--git-dir", str(git_dir), "ls-tree", "-r", "--name-only", "HEAD", folder],
        check=True, capture_output=True, text=True,
    ).stdout.split()
    out = []
    for path in listing:
        if not path.endswith((".yml", ".yaml")):
            continue
        family = Path(path).stem
        try:
            doc = yaml.safe_load(git_show(git_dir, f"HEAD:{path}")) or {}
        except yaml.YAMLError as err:
            print(f"skipped {path}: {err}", file=sys.stderr)
            continue
        for rule in doc.get("rules", []) if isinstance(doc, dict) else []:
            for key, positive in (("examples", True), ("negative_examples", False)):
                for text in rule.get(key) or []:
                    if isinstance(text, str) and text.strip():
                        out.append((family, str(rule.get("id", "?")), positive, text, is_secret_rule(rule)))
    return out


def print_families(unit: str, per_family: Dict[str, Dict[str, Tuple[int, int]]],
                   families: List[str], width: int) -> None:
    """The per-family table: one row per family, found/total for each tool."""
    tools_list = list(per_family)
    print(f"\nrecall per family (found/{unit}):")
    print(f"{'family':<{width}}" + "".join(f"{t[:14]:>16}" for t in tools_list))
    for family in families:
        row = "".join(f"{'%d/%d' % per_family[t][family]:>16}" for t in tools_list)
        print(f"{family:<{width}}{row}")


def score_examples(title: str, examples: List[Example], tools: Dict[str, Callable[[Path], Hits]],
                   misses: bool, keep: str | None) -> None:
    # A peer's negative examples are negative for one rule: the same text is often a positive
    # example of a sibling rule (Vault `hvs.` under the legacy-token rule). Those are not scored.
    positive_texts = {e[3].strip() for e in examples if e[2]}
    shared = sum(1 for e in examples if not e[2] and e[3].strip() in positive_texts)
    examples = [e for e in examples if e[2] or e[3].strip() not in positive_texts]
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(keep) / title.split()[0].lower() if keep else Path(tmp) / "examples"
        if keep and root.exists():
            shutil.rmtree(root)
        root.mkdir(parents=True)
        names = {}
        secret_of = {}
        for i, (family, rule, positive, text, secret) in enumerate(examples):
            name = f"{'pos' if positive else 'neg'}-{i:05}.txt"
            (root / name).write_text(text if text.endswith("\n") else text + "\n")
            names[name] = (family, positive, rule, text)
            secret_of[name] = secret
        pos = sum(1 for e in examples if e[2])
        pos_secret = sum(1 for e in examples if e[2] and e[4])
        pos_real = sum(1 for e in examples if e[2] and e[4] and not made_up(e[3]))
        neg = len(examples) - pos
        print(f"\n## {title}: {pos} positive ({pos_secret} of rules filed as secrets, {pos_real} of "
              f"those not visibly made up), {neg} negative ({shared} more left out: positive examples of a "
              f"sibling rule), {len({e[0] for e in examples})} families\n")
        per_family: Dict[str, Dict[str, Tuple[int, int]]] = {}
        hits_of: Dict[str, Set[str]] = {}
        print(f"{'scanner':<36} {'found':>6} {'recall':>7} {'secrets':>8} {'recall':>7} {'real':>6} {'recall':>7} "
              f"{'neg hit':>8} {'FP rate':>8}")
        for name, scan in tools.items():
            hit_files = {path for path, _ in scan(root)}
            hits_of[name] = hit_files
            found = sum(1 for f, v in names.items() if v[1] and f in hit_files)
            found_secret = sum(1 for f, v in names.items() if v[1] and secret_of[f] and f in hit_files)
            found_real = sum(1 for f, v in names.items() if v[1] and secret_of[f] and not made_up(v[3]) and f in hit_files)
            false_pos = sum(1 for f, v in names.items() if not v[1] and f in hit_files)
            fam: Dict[str, List[int]] = defaultdict(lambda: [0, 0])
            for f, (family, p, _, _) in names.items():
                if p:
                    fam[family][1] += 1
                    fam[family][0] += f in hit_files
            per_family[name] = {k: (v[0], v[1]) for k, v in fam.items()}
            print(f"{name:<36} {found:>6} {found / max(pos, 1):>7.3f} {found_secret:>8} "
                  f"{found_secret / max(pos_secret, 1):>7.3f} {found_real:>6} {found_real / max(pos_real, 1):>7.3f} "
                  f"{false_pos:>8} {false_pos / max(neg, 1):>8.3f}")
        tools_list = list(per_family)
        print_families("examples", per_family, sorted(next(iter(per_family.values()))), 22)
        if misses and "leakhound" in hits_of:
            others = [t for t in tools_list if not t.startswith("leakhound")]
            print("\nleakhound misses (family, rule, file, found by, text):")
            for f, (family, p, rule, text) in sorted(names.items(), key=lambda kv: (kv[1][0], kv[0])):
                if p and f not in hits_of["leakhound"]:
                    by = ",".join(t for t in others if f in hits_of[t]) or "-"
                    kind = "" if secret_of[f] else " (not filed as a secret)"
                    kind += " (made up)" if made_up(text) else ""
                    print(f"  {family:<18} {rule:<40} {f} [{by}]{kind} {text.strip()[:110]!r}")
            print("\nleakhound hits on negative examples:")
            for f, (family, p, rule, text) in sorted(names.items(), key=lambda kv: (kv[1][0], kv[0])):
                if not p and f in hits_of["leakhound"]:
                    print(f"  {family:<18} {rule:<40} {f} {text.strip()[:110]!r}")


# --- TruffleHog detector unit tests -----------------------------------------------------------


_GO_TOKEN = _re.compile(r"""
    (?P<ws>\s+) | (?P<comment>//[^\n]*|/\*.*?\*/) |
    (?P<raw>`[^`]*`) | (?P<str>"(?:[^"\\\n]|\\.)*") | (?P<rune>'(?:[^'\\\n]|\\.)+') |
    (?P<num>\d[\w.]*) | (?P<ident>[A-Za-z_][A-Za-z0-9_]*) |
    (?P<op>:=|\.\.\.|[-+*/%&|^<>=!]=?|[(){}\[\],;:.])
""", _re.S | _re.X)


def go_tokens(src: str) -> List[Tuple[str, str]]:
    out, pos = [], 0
    while pos < len(src):
        m = _GO_TOKEN.match(src, pos)
        if not m:
            pos += 1
            continue
        pos = m.end()
        kind = m.lastgroup
        if kind not in ("ws", "comment"):
            out.append((kind, m.group()))
    return out


def go_string(tok: Tuple[str, str]) -> str:
    kind, text = tok
    if kind == "raw":
        return text[1:-1].replace("\r", "")
    body = text[1:-1]
    # Go and Python share \n \t \" \\ \xNN \uNNNN; decode escapes and keep other text as is.
    return _re.sub(r"\\(u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|[ntr\"'\\abfv0])",
                   lambda m: m.group().encode().decode("unicode_escape"), body)


class GoUnparsed(Exception):
    pass


class GoFile:
    """A tolerant reader of one Go test file: named string values (`x = ...`, `x := ...`) and
    the table cases (`{name: ..., input: ..., want: ...}`), with string expressions made of
    literals, names, `+`, `fmt.Sprintf`, `strings.Repeat` and `[]byte(...)`."""

    def __init__(self, src: str) -> None:
        self.toks = go_tokens(src)
        self.decls: Dict[str, int] = {}
        for i, (kind, text) in enumerate(self.toks[:-1]):
            nxt = self.toks[i + 1][1]
            if kind == "ident" and nxt in ("=", ":=") and text not in self.decls:
                prev = self.toks[i - 1][1] if i else ""
                if prev not in (".", ","):
                    self.decls[text] = i + 2
            elif kind == "ident" and self.toks[i + 1][1] == "string" and i + 2 < len(self.toks) \
                    and self.toks[i + 2][1] == "=" and text not in self.decls:
                self.decls[text] = i + 3
        self.depth = 0

    def value(self, name: str) -> str:
        if name not in self.decls or self.depth > 20:
            raise GoUnparsed(name)
        self.depth += 1
        try:
            val, _ = self.expr(self.decls[name])
        finally:
            self.depth -= 1
        return val

    def expr(self, i: int) -> Tuple[str, int]:
        val, i = self.term(i)
        while i < len(self.toks) and self.toks[i][1] == "+":
            more, i = self.term(i + 1)
            val += more
        return val, i

    def args(self, i: int) -> Tuple[List[str], int]:
        if self.toks[i][1] != "(":
            raise GoUnparsed("(")
        i += 1
        vals = []
        while self.toks[i][1] != ")":
            if self.toks[i][0] == "num":
                vals.append(self.toks[i][1])
                i += 1
            else:
                v, i = self.expr(i)
                vals.append(v)
            if self.toks[i][1] == ",":
                i += 1
        return vals, i + 1

    def term(self, i: int) -> Tuple[str, int]:
        kind, text = self.toks[i]
        if kind in ("raw", "str"):
            return go_string(self.toks[i]), i + 1
        if text == "fmt" and self.toks[i + 2][1] == "Sprintf":
            vals, j = self.args(i + 3)
            if not vals:
                raise GoUnparsed("Sprintf")
            fmt_, rest = vals[0], iter(vals[1:])

            def verb(m: "_re.Match[str]") -> str:
                if m.group() == "%%":
                    return "%"
                return next(rest)
            try:
                return _re.sub(r"%%|%[-+# 0-9.]*[svdqxX]", verb, fmt_), j
            except StopIteration:
                raise GoUnparsed("Sprintf args") from None
        if text == "strings" and self.toks[i + 2][1] == "Repeat":
            vals, j = self.args(i + 3)
            return vals[0] * int(vals[1]), j
        if text == "[" and self.toks[i + 1][1] == "]" and self.toks[i + 2][1] == "byte":
            vals, j = self.args(i + 3)
            return vals[0], j
        if text == "string" and self.toks[i + 1][1] == "(":
            vals, j = self.args(i + 1)
            return vals[0], j
        if text == "(":
            val, j = self.expr(i + 1)
            if self.toks[j][1] != ")":
                raise GoUnparsed(")")
            return val, j + 1
        if kind == "ident" and self.toks[i + 1][1] not in ("(", "."):
            return self.value(text), i + 1
        raise GoUnparsed(text)

    def want(self, i: int) -> Tuple[List[str], int]:
        """`nil`, `[]string{...}`, `{}` or a name of one."""
        if self.toks[i][1] == "nil":
            return [], i + 1
        if self.toks[i][1] == "[" and self.toks[i + 2][1] == "string" and self.toks[i + 3][1] == "{":
            i += 4
        elif self.toks[i][1] == "{":
            i += 1
        elif self.toks[i][0] == "ident" and self.toks[i + 1][1] in (",", "}"):
            name = self.toks[i][1]
            if name not in self.decls:
                raise GoUnparsed(name)
            vals, _ = self.want(self.decls[name])
            return vals, i + 1
        else:
            raise GoUnparsed("want")
        vals = []
        while self.toks[i][1] != "}":
            v, i = self.expr(i)
            vals.append(v)
            if self.toks[i][1] == ",":
                i += 1
        return vals, i + 1

    def cases(self) -> Tuple[List[Tuple[str, str, List[str]]], int]:
        """(case name, input, wanted secrets) of every table case with `input:` (or `data:`) and
        `want:` fields, and the number of such cases that could not be read."""
        out, skipped = [], 0
        toks = self.toks
        for i in range(len(toks) - 2):
            if toks[i][1] != "{":
                continue
            # a struct literal whose fields are `key: value` at depth 1
            fields, depth, j = {}, 0, i
            while j < len(toks):
                t = toks[j][1]
                if t in ("{", "(", "["):
                    depth += 1
                elif t in ("}", ")", "]"):
                    depth -= 1
                    if depth == 0:
                        break
                elif depth == 1 and toks[j][0] == "ident" and j + 1 < len(toks) and toks[j + 1][1] == ":" \
                        and toks[j - 1][1] in ("{", ","):
                    fields[t] = j + 2
                j += 1
            key = "input" if "input" in fields else "data" if "data" in fields else None
            if key is None or "want" not in fields:
                continue
            try:
                name = self.expr(fields["name"])[0] if "name" in fields else "?"
            except GoUnparsed:
                name = "?"
            try:
                text, _ = self.expr(fields[key])
                wanted, _ = self.want(fields["want"])
            except (GoUnparsed, IndexError, ValueError):
                skipped += 1
                continue
            out.append((name, text, wanted))
        return out, skipped


# Where a secret works rather than the secret: a URL, an e-mail address or a host name (dotted
# labels ending in a short word, an optional port and path).
_PLACE = _re.compile(r"^https?:|@|^[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,10}(?::\d+)?(?:/\S*)?$")


def secret_pieces(want: str, text: str) -> List[str]:
    """The parts of a wanted secret that appear in the input. TruffleHog often reports a
    credential as a joined string (`id:secret`, `host:token`, a JSON object): split it greedily
    into the longest substrings of the input (8+ characters); hosts, URLs and e-mail addresses are
    dropped when anything else is left, since they name where a secret works, not the secret. A
    piece is such a place only by its shape (a URL, an address, a dotted host name ending in a
    word): a base64 key holds `/` and a JWT holds `.`, and those are the secret."""
    if want in text:
        return [want]
    pieces, i = [], 0
    while i < len(want):
        best = 0
        for j in range(len(want), i + 7, -1):
            if want[i:j] in text:
                best = j - i
                break
        if best:
            pieces.append(want[i:i + best])
            i += best
        else:
            i += 1
    secretish = [p for p in pieces if not _PLACE.search(p.strip(":;|, \t"))]
    return secretish or pieces


def line_span(text: str, piece: str) -> List[int]:
    """The 1-based lines of the first occurrence of `piece` in `text`."""
    at = text.find(piece)
    if at < 0:
        return []
    first = text.count("\n", 0, at) + 1
    return list(range(first, first + piece.count("\n") + 1))


TfCase = Tuple[str, str, str, List[str]]  # (family, case name, input, wanted secrets)


def trufflehog_cases(git_dir: Path) -> Tuple[List[TfCase], int]:
    """The table cases of TruffleHog's detector unit tests (`pkg/detectors/<family>/..._test.go`,
    not the integration tests), and how many cases could not be read."""
    listing = subprocess.run(
        ["git", "--git-dir", str(git_dir), "ls-tree", "-r", "--name-only", "HEAD", "pkg/detectors/"],
        check=True, capture_output=True, text=True,
    ).stdout.split()
    out: List[TfCase] = []
    skipped = 0
    for path in listing:
        if not path.endswith("_test.go") or path.endswith("_integration_test.go"):
            continue
        family = path.split("/")[2]
        src = git_show(git_dir, f"HEAD:{path}").decode("utf-8", "replace")
        cases, bad = GoFile(src).cases()
        skipped += bad
        for name, text, wanted in cases:
            if text.strip():
                out.append((family, name, text, [w for w in wanted if w]))
    return out, skipped


def score_trufflehog(git_dir: Path, tools: Dict[str, Callable[[Path], Hits]], misses: bool,
                     keep: str | None) -> None:
    cases, skipped = trufflehog_cases(git_dir)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(keep) / "trufflehog" if keep else Path(tmp) / "examples"
        if keep and root.exists():
            shutil.rmtree(root)
        root.mkdir(parents=True)
        # positives: (file, family, secret, lines that hold it); negatives: (file, family)
        wanted: List[Tuple[str, str, str, Set[int]]] = []
        negatives: List[Tuple[str, str, str]] = []
        for i, (family, name, text, secrets) in enumerate(cases):
            fname = f"{'pos' if secrets else 'neg'}-{i:05}.txt"
            (root / fname).write_text(text if text.endswith("\n") else text + "\n")
            if not secrets:
                negatives.append((fname, family, name))
            for secret in secrets:
                lines = {n for p in secret_pieces(secret, text) for n in line_span(text, p)}
                if lines:
                    wanted.append((fname, family, secret, lines))
                else:
                    skipped += 1
        pos_real = sum(1 for w in wanted if not made_up(w[2]))
        families = sorted({w[1] for w in wanted})
        print(f"\n## TruffleHog detector tests: {len(wanted)} wanted secrets in "
              f"{sum(1 for c in cases if c[3])} valid cases ({pos_real} not visibly made up), "
              f"{len(negatives)} invalid cases, {len(families)} families; {skipped} cases or secrets "
              f"could not be read\n")
        print(f"{'scanner':<36} {'found':>6} {'recall':>7} {'real':>6} {'recall':>7} {'neg hit':>8} {'FP rate':>8}")
        per_family: Dict[str, Dict[str, Tuple[int, int]]] = {}
        found_of: Dict[str, Set[int]] = {}
        neg_hits: Dict[str, Set[str]] = {}
        for tool, scan in tools.items():
            hits = scan(root)
            found = {k for k, (f, _, _, lines) in enumerate(wanted) if any((f, n) in hits for n in lines)}
            found_of[tool] = found
            neg_hits[tool] = {f for f, _, _ in negatives if any(h[0] == f for h in hits)}
            real = sum(1 for k in found if not made_up(wanted[k][2]))
            fam: Dict[str, List[int]] = defaultdict(lambda: [0, 0])
            for k, w in enumerate(wanted):
                fam[w[1]][1] += 1
                fam[w[1]][0] += k in found
            per_family[tool] = {k: (v[0], v[1]) for k, v in fam.items()}
            print(f"{tool:<36} {len(found):>6} {len(found) / max(len(wanted), 1):>7.3f} {real:>6} "
                  f"{real / max(pos_real, 1):>7.3f} {len(neg_hits[tool]):>8} "
                  f"{len(neg_hits[tool]) / max(len(negatives), 1):>8.3f}")
        tools_list = list(per_family)
        print_families("wanted", per_family, families, 28)
        if misses and "leakhound" in found_of:
            others = [t for t in tools_list if not t.startswith("leakhound")]
            print("\nleakhound misses (family, file:lines, found by, secret):")
            for k, (f, family, secret, lines) in enumerate(wanted):
                if k not in found_of["leakhound"]:
                    by = ",".join(t for t in others if k in found_of[t]) or "-"
                    kind = " (made up)" if made_up(secret) else ""
                    print(f"  {family:<26} {f}:{min(lines)} [{by}]{kind} {secret.strip()[:100]!r}")
            print("\nleakhound hits on invalid cases (family, file, case name):")
            for f, family, name in negatives:
                if f in neg_hits["leakhound"]:
                    print(f"  {family:<26} {f} {name[:80]!r}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--leakhound", default=os.environ.get("LEAKHOUND", "target/release/leakhound"))
    parser.add_argument("--peers", default=os.path.expanduser("~/.cache/leakhound-peers/bin"))
    parser.add_argument("--mirrors", default="/work/.mirror")
    parser.add_argument("--only", choices=["leaky-repo", "np-examples", "kf-examples", "tf-tests"])
    parser.add_argument("--misses", action="store_true", help="list leakhound's misses on the examples")
    parser.add_argument("--keep", help="write the example files under this directory and keep them")
    parser.add_argument("--no-peers", action="store_true")
    parser.add_argument("--fetch", action="store_true", help="clone missing mirrors from GitHub")
    args = parser.parse_args()
    tools = scanners(args)
    if args.no_peers:
        tools = {k: v for k, v in tools.items() if k.startswith("leakhound")}
    mirrors = Path(args.mirrors)
    if args.only in (None, "leaky-repo"):
        score_leaky(mirror(mirrors, "Plazmaz/leaky-repo", args.fetch), tools)
    if args.only in (None, "np-examples"):
        git_dir = mirror(mirrors, "praetorian-inc/noseyparker", args.fetch)
        examples = rule_examples(git_dir, "crates/noseyparker/data/default/builtin/rules/")
        score_examples("Nosey Parker rule examples", examples, tools, args.misses, args.keep)
    if args.only in (None, "kf-examples"):
        git_dir = mirror(mirrors, "mongodb/kingfisher", args.fetch)
        examples = rule_examples(git_dir, "data/rules/")
        score_examples("Kingfisher rule examples", examples, tools, args.misses, args.keep)
    if args.only in (None, "tf-tests"):
        git_dir = mirror(mirrors, "trufflesecurity/trufflehog", args.fetch)
        score_trufflehog(git_dir, tools, args.misses, args.keep)
    return 0


if __name__ == "__main__":
    sys.exit(main())
