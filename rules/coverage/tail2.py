#!/usr/bin/env python3
"""Writes rules/providers-tail-2.yaml from the facts table rules/coverage/tail-2.tsv.

Each line of the table is one credential: its provider names (the words that must appear in the
variable or field name), an optional literal value prefix and the value's shape as chunks
(`h8 - h4 - h4 - h4 - h12` is a UUID, `a32` 32 alphanumerics, `b20..80` 20 to 80 base64url
characters). The facts were read from vendors' documentation and from other scanners' public
rule lists (name, prefix, alphabet, length only). This script picks the provider-table alphabet
that holds the shape, derives an entropy floor from the symbols the shape really uses, and makes
every example and negative example itself: random values of the shape from a PRNG seeded with the
rule id, so the output is the same on every run. Python 3 standard library only.

Usage:
    python3 rules/coverage/tail2.py            # rewrite rules/providers-tail-2.yaml
    python3 rules/coverage/tail2.py --check    # exit 1 when the YAML is stale
"""

from __future__ import annotations

import math
import random
import string
import sys
from pathlib import Path

# No __pycache__ under rules/: build.rs watches the directory.
sys.dont_write_bytecode = True
import generated  # noqa: E402  (after the line above)

HERE = Path(__file__).resolve().parent
TABLE = HERE / "tail-2.tsv"
OUTPUT = HERE.parent / "providers-tail-2.yaml"

LOWER = string.ascii_lowercase
UPPER = string.ascii_uppercase
DIGITS = string.digits
CLASSES = {
    "d": DIGITS,
    "h": DIGITS + "abcdef",
    "H": DIGITS + "ABCDEF",
    "x": DIGITS + "abcdefABCDEF",
    "l": DIGITS + LOWER,
    "u": DIGITS + UPPER,
    "a": DIGITS + LOWER + UPPER,
    "L": LOWER + UPPER,
    "z": LOWER + "234567",
    "b": DIGITS + LOWER + UPPER + "-_",
    "B": DIGITS + LOWER + UPPER + "+/",
}
# The provider-table alphabets (src/rules/family.rs), smallest first.
ALPHABETS = [
    ("digits", DIGITS),
    ("hex", DIGITS + "abcdef"),
    ("hex-upper", DIGITS + "ABCDEF"),
    ("hex-any-case", DIGITS + "abcdefABCDEF"),
    ("alnum-lower", DIGITS + LOWER),
    ("alnum-upper", DIGITS + UPPER),
    ("alnum", DIGITS + LOWER + UPPER),
    ("base64url", DIGITS + LOWER + UPPER + "-_"),
    ("base64", DIGITS + LOWER + UPPER + "+/"),
]
SIZES = {name: len(chars) for name, chars in ALPHABETS}


def parse_shape(text: str) -> list[tuple[str, int, int]]:
    """Chunks as (symbols, min, max); a literal is (literal, 0, 0)."""
    chunks = []
    for token in text.split():
        if token[0] in CLASSES and token[1:2].isdigit():
            low, _, high = token[1:].partition("..")
            chunks.append((CLASSES[token[0]], int(low), int(high or low)))
        else:
            chunks.append((token, 0, 0))
    return chunks


def floor_for(size: int, length: int) -> float:
    """The same estimate as family::default_entropy, for `size` symbols."""
    distinct = size * (1.0 - (1.0 - 1.0 / size) ** length)
    return math.floor((0.83 * math.log2(distinct) - 0.45) * 10) / 10


def shannon(value: str) -> float:
    counts = {c: value.count(c) for c in set(value)}
    return -sum(n / len(value) * math.log2(n / len(value)) for n in counts.values())


def draw(rng: random.Random, chunks, length_pick: str) -> str:
    out = []
    for symbols, low, high in chunks:
        if high == 0:
            out.append(symbols)
            continue
        n = {"min": low, "max": high, "mid": (low + high) // 2}[length_pick]
        out.append("".join(rng.choice(symbols) for _ in range(n)))
    return "".join(out)


def yaml_str(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def provider_of(credential: str, rule_id: str) -> str:
    for tail in (" API Key", " API Token", " Personal Access Token", " API key", " Key", " Token"):
        if credential.endswith(tail) and " " in credential:
            return credential[: -len(tail)]
    return rule_id.split(".")[0].replace("-", " ").title()


def row_yaml(cols: list[str]) -> str:
    rule_id, credential, kind, names, words, prefix, shape, reference, _covers = cols
    names_l = [n for n in names.split(",") if n]
    words_l = [w for w in words.split(",") if w]
    chunks = parse_shape(shape)
    used = set("".join(s for s, _, high in chunks if high))
    literals = "".join(s for s, _, high in chunks if high == 0)
    alphabet = next(name for name, chars in ALPHABETS if used | set(literals) <= set(chars))
    low = sum(lo if hi else len(s) for s, lo, hi in chunks)
    high = sum(hi if hi else len(s) for s, lo, hi in chunks)
    rng = random.Random("tail2:" + rule_id)
    provider = provider_of(credential, rule_id)
    kind_words = rule_id.split(".", 1)[1].replace("-", " ")
    lines = [
        f"  - id: {rule_id}",
        f"    name: {yaml_str(provider + ' ' + kind_words)}",
        f"    provider: {yaml_str(provider)}",
    ]
    if kind != "api-key":
        lines.append(f"    kind: {kind}")
    if names_l:
        lines.append("    names: [" + ", ".join(yaml_str(n) for n in names_l) + "]")
    if words_l:
        lines.append("    words: [" + ", ".join(yaml_str(w) for w in words_l) + "]")
    if prefix:
        lines.append(f"    prefix: {yaml_str(prefix)}")
    lines.append(f"    alphabet: {alphabet}")
    lines.append(f"    length: {low}")
    if high != low:
        lines.append(f"    max_length: {high}")
    # An explicit floor when the shape uses fewer symbols than its alphabet (a UUID is hex and
    # dashes, not base64url): the alphabet's default would drop most real values.
    if low >= 20 and (len(used) < SIZES[alphabet] or literals):
        floor = floor_for(len(used), low) - (0.2 if literals else 0.0)
        samples = [prefix + draw(rng, chunks, "min") for _ in range(400)]
        while any(shannon(s) < floor for s in samples):
            floor -= 0.1
        lines.append(f"    min_entropy: {floor:.1f}")
    if reference:
        lines.append(f"    references: [{yaml_str(reference)}]")
    lines.append(
        "    revoke: "
        + yaml_str(
            f"Revoke or regenerate the credential in the {provider} account (API or developer "
            "settings), then replace it wherever it is used."
        )
    )
    v1 = prefix + draw(rng, chunks, "min")
    v2 = prefix + draw(rng, chunks, "max" if high != low else "min")
    if names_l:
        word = (words_l[0] if words_l else "key").upper()
        first = names_l[0].upper()
        examples = [f"{first}_API_{word}={v1}", f'{names_l[-1]}_{word.lower()}: "{v2}"']
        placeholder = (
            f"{first}_API_{word}={prefix}{'x' * low}"
            if low >= 20
            else f"{first}_API_{word}=${{{first}_API_{word}}}"
        )
        negatives = [f"API_KEY={v1}", f"{first}_API_{word}={v1[:-1]}", placeholder]
    else:
        label = rule_id.split(".")[0].upper().replace("-", "_")
        examples = [f'token = "{v1}"', f"export {label}_TOKEN={v2}"]
        negatives = [f'token = "{v1[:-1]}"', f"{prefix}{'x' * low}"]
        if prefix[:1].isalnum():
            negatives.append(f"X{v1}")
    lines.append("    examples:")
    lines += [f"      - {yaml_str(e)}" for e in examples]
    lines.append("    negative_examples:")
    lines += [f"      - {yaml_str(n)}" for n in negatives]
    return "\n".join(lines)


def render() -> str:
    rows = []
    for line in TABLE.read_text(encoding="utf-8").splitlines():
        if not line or line.startswith("#") or line.startswith("id\t"):
            continue
        rows.append(row_yaml(line.split("\t")))
    head = (
        "# GENERATED by rules/coverage/tail2.py from rules/coverage/tail-2.tsv; edit the table, not this.\n"
        "# The long tail, second part: provider-table rows for credential types other scanners list\n"
        "# and we did not. Facts only (names, prefix, alphabet, length); every example is a generated fake.\n"
        "families:\n"
    )
    return head + "\n\n".join(rows) + "\n"


def main() -> int:
    return generated.run(__doc__.splitlines()[0], OUTPUT, render, "rules/coverage/tail2.py")


if __name__ == "__main__":
    sys.exit(main())
