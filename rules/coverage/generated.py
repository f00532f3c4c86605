"""The command line every rule-file generator in this directory shares: write the file, or with
`--check` exit 1 when the committed file differs from what the generator renders."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Callable


def run(description: str, output: Path, render: Callable[[], str], script: str) -> int:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--check", action="store_true", help="exit 1 when the YAML is stale")
    args = parser.parse_args()
    text = render()
    if args.check:
        if not output.exists() or output.read_text(encoding="utf-8") != text:
            print(f"{output} is stale: run python3 {script}", file=sys.stderr)
            return 1
        return 0
    output.write_text(text, encoding="utf-8")
    return 0
