#!/usr/bin/env python3
"""Regenerates rules/COVERAGE.md from rules/coverage/peers.tsv and the rule files in rules/.

peers.tsv lists every credential type another scanner's public rule or detector list covers
(TruffleHog detectors, Kingfisher rules, gitleaks and Betterleaks rules, Nosey Parker rules):
one row per peer rule, with our rule id, or the reason we do not cover it. Only names are
recorded there, never a peer's patterns or examples.

Columns (tab-separated, a header line, `#` lines are comments):
    peer        trufflehog | kingfisher | gitleaks | betterleaks | noseyparker
    peer_rule   the peer's detector directory or rule id
    credential  the peer's human name for it (or the rule id when it has none)
    status      covered | justified | missing
    ours        covered: our rule id(s), comma-separated (each must exist in rules/*.yaml);
                justified: one reason from REASONS; missing: empty
    basis       reviewed (a person checked the mapping) | tested (our rule reports the peer's own
                examples or detector tests for that rule: benches/recall.py material) | auto
                (matched by provider name only)

The first comment line `# missing-budget: N` caps the missing rows: the number may only go
down. `--check` exits 1 when COVERAGE.md is not what this script would write, when a row
names a rule that does not exist, has an unknown status or reason, or when more rows are
missing than the budget allows. Python 3 standard library only.

Usage:
    python3 rules/coverage/coverage.py           # rewrite rules/COVERAGE.md
    python3 rules/coverage/coverage.py --check   # verify, change nothing
"""

from __future__ import annotations

import argparse
import collections
import re
import sys
from pathlib import Path

RULES = Path(__file__).resolve().parent.parent
PEERS = RULES / "coverage" / "peers.tsv"
OUTPUT = RULES / "COVERAGE.md"

PEER_NAMES = {
    "trufflehog": "TruffleHog (pkg/detectors)",
    "kingfisher": "Kingfisher (data/rules)",
    "gitleaks": "gitleaks (config/gitleaks.toml)",
    "betterleaks": "Betterleaks (config/betterleaks.toml)",
    "noseyparker": "Nosey Parker (builtin rules)",
}
STATUSES = ("covered", "justified", "missing")
REASONS = {
    "identifier-only": "an identifier (client id, account id, URL, user name), not a secret by itself",
    "not-a-secret": "public by design (publishable keys, public keys, recipients)",
    "unpinnable": "no fixed shape or marker: cannot be matched without false positives",
    "defunct": "the service or credential type no longer exists",
    "peer-internal": "the peer's own product or a tool-internal helper rule",
}
BASES = ("reviewed", "tested", "auto")
RULE_ID = re.compile(r"^  - id: ([a-z0-9][a-z0-9._-]*)\s*$", re.M)
FAMILIES = re.compile(r"^families:", re.M)


class Row(collections.namedtuple("Row", "line peer peer_rule credential status ours basis")):
    """One peer rule and what we do about it."""


def our_rules() -> tuple[set[str], int, int]:
    """Every rule id defined in rules/*.yaml; how many came from `rules:` and from `families:`."""
    ids: set[str] = set()
    hand = table = 0
    for path in sorted(RULES.glob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        split = FAMILIES.search(text)
        for match in RULE_ID.finditer(text):
            ids.add(match.group(1))
            if split and match.start() > split.start():
                table += 1
            else:
                hand += 1
    return ids, hand, table


def read_peers() -> tuple[list[Row], int | None, list[str]]:
    rows: list[Row] = []
    budget = None
    problems: list[str] = []
    lines = PEERS.read_text(encoding="utf-8").splitlines()
    header_seen = False
    for number, line in enumerate(lines, 1):
        if line.startswith("#"):
            found = re.match(r"#\s*missing-budget:\s*(\d+)", line)
            if found:
                budget = int(found.group(1))
            continue
        if not line.strip():
            continue
        if not header_seen:
            header_seen = True
            if line.split("\t") != ["peer", "peer_rule", "credential", "status", "ours", "basis"]:
                problems.append(f"peers.tsv:{number}: header must be peer, peer_rule, credential, status, ours, basis")
            continue
        cells = line.split("\t")
        if len(cells) != 6:
            problems.append(f"peers.tsv:{number}: expected 6 tab-separated cells, found {len(cells)}")
            continue
        rows.append(Row(number, *cells))
    return rows, budget, problems


def validate(rows: list[Row], ids: set[str], budget: int | None) -> list[str]:
    problems = []
    seen = set()
    for row in rows:
        where = f"peers.tsv:{row.line} ({row.peer} {row.peer_rule})"
        if row.peer not in PEER_NAMES:
            problems.append(f"{where}: unknown peer {row.peer!r}")
        if (row.peer, row.peer_rule) in seen:
            problems.append(f"{where}: listed twice")
        seen.add((row.peer, row.peer_rule))
        if row.basis not in BASES:
            problems.append(f"{where}: basis must be one of {', '.join(BASES)}")
        if row.status == "covered":
            unknown = [r for r in row.ours.split(",") if r.strip() not in ids]
            if not row.ours or unknown:
                problems.append(f"{where}: covered by unknown rule id(s) {unknown or ['(none)']}")
        elif row.status == "justified":
            if row.ours not in REASONS:
                problems.append(f"{where}: justification must be one of {', '.join(REASONS)}")
        elif row.status == "missing":
            if row.ours:
                problems.append(f"{where}: a missing row names nothing in `ours`")
        else:
            problems.append(f"{where}: status must be one of {', '.join(STATUSES)}")
    missing = sum(1 for r in rows if r.status == "missing")
    if budget is None:
        problems.append("peers.tsv: no `# missing-budget: N` line")
    elif missing > budget:
        problems.append(f"peers.tsv: {missing} rows missing, over the budget of {budget} (cover or justify them)")
    return problems


def render(rows: list[Row], hand: int, table: int, budget: int | None) -> str:
    out = [
        "# Coverage against other scanners",
        "",
        "Generated by `python3 rules/coverage/coverage.py` from `rules/coverage/peers.tsv` and the rule",
        "files in `rules/`; do not edit by hand (`--check` fails when this file is stale). Each row is one",
        "rule or detector of another scanner's public list, with the leakhound rule that finds the same",
        "credential, or why we do not. `auto` rows were matched by provider name only and still need a",
        "person to confirm the credential type; `reviewed` rows were checked by a person; `tested` rows",
        "were confirmed by running: the rule named here reports at least one of the peer's own examples",
        "(Nosey Parker, Kingfisher) or detector-test inputs (TruffleHog) for that rule",
        "(`benches/recall.py`).",
        "",
        f"leakhound rules: {hand + table} ({hand} hand-written, {table} provider-table rows).",
        "",
        "| peer | rows | covered | justified | missing | tested | auto-mapped |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    totals = collections.Counter()
    for peer, title in PEER_NAMES.items():
        mine = [r for r in rows if r.peer == peer]
        count = collections.Counter(r.status for r in mine)
        auto = sum(1 for r in mine if r.basis == "auto")
        tested = sum(1 for r in mine if r.basis == "tested")
        totals.update(count)
        totals["auto"] += auto
        totals["tested"] += tested
        totals["rows"] += len(mine)
        out.append(f"| {title} | {len(mine)} | {count['covered']} | {count['justified']} | {count['missing']} | {tested} | {auto} |")
    out.append(
        f"| **all** | {totals['rows']} | {totals['covered']} | {totals['justified']} | {totals['missing']} | {totals['tested']} | {totals['auto']} |"
    )
    out += ["", f"Missing budget (may only go down): {budget}.", "", "Justifications:", ""]
    out += [f"- `{name}`: {meaning}" for name, meaning in REASONS.items()]
    for peer, title in PEER_NAMES.items():
        out += ["", f"## {title}", "", "| their rule | credential | status | ours / reason | basis |", "|---|---|---|---|---|"]
        for row in sorted((r for r in rows if r.peer == peer), key=lambda r: r.peer_rule):
            ours = ", ".join(f"`{r}`" for r in row.ours.split(",")) if row.ours else ""
            credential = row.credential.replace("|", "\\|")
            out.append(f"| `{row.peer_rule}` | {credential} | {row.status} | {ours} | {row.basis} |")
    return "\n".join(out) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="verify COVERAGE.md and peers.tsv; write nothing")
    args = parser.parse_args()
    ids, hand, table = our_rules()
    rows, budget, problems = read_peers()
    problems += validate(rows, ids, budget)
    text = render(rows, hand, table, budget)
    if args.check:
        current = OUTPUT.read_text(encoding="utf-8") if OUTPUT.exists() else ""
        if current != text:
            problems.append("rules/COVERAGE.md is stale: run python3 rules/coverage/coverage.py")
        for problem in problems:
            print(problem, file=sys.stderr)
        return 1 if problems else 0
    OUTPUT.write_text(text, encoding="utf-8")
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
