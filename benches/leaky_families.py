#!/usr/bin/env python3
"""leaky-repo recall per file family, for one or more leakhound binaries.

`benches/recall.py` scores Plazmaz/leaky-repo per file (risky lines found, capped at the label);
this groups the same per-file scores by what the files are (database files, FTP settings, shell
profiles, ...), so a change to the credential-file rules shows where it helped. The tree is
exported from the bare mirror at run time; nothing is copied into the repository.

Usage: python3 benches/leaky_families.py [--mirrors DIR] BIN [BIN ...]
"""

from __future__ import annotations

import argparse
import collections
import csv
import io
import json
import subprocess
import tempfile
from pathlib import Path
from typing import Dict, List


def family(path: str) -> str:
    name = path.split("/")[-1]
    if name in (".bash_profile", ".bashrc", "config"):
        return "shell profiles, env-style config"
    if name == ".env":
        return "dotenv (.env)"
    if path.startswith("db/"):
        return "database (dump, mongoid, pgpass, IDE, robomongo)"
    ftp = (".ftpconfig", "sftp-config.json", "deployment-config.json", ".remote-sync.json", "sftp.json",
           "proftpdpasswd", "WebServers.xml")
    if "filezilla" in path or name in ftp:
        return "FTP/SFTP and deployment settings"
    if name in (".esmtprc", "ventrilo_srv.ini"):
        return "mail and server configs"
    if path.startswith("web/"):
        return "web apps (wp-config, config.php, htpasswd, Django, Rails, JS)"
    if path.startswith("cloud/") or name == "hub" or ".docker" in path or "keys" in path or ".ssh" in path:
        return "cloud CLIs, Docker, key files"
    if "firefox" in path:
        return "browser (Firefox logins.json)"
    return "login files (.netrc, .git-credentials, .npmrc, shadow)"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mirrors", default="/work/.mirror")
    parser.add_argument("binaries", nargs="+")
    args = parser.parse_args()
    git_dir = Path(args.mirrors) / "Plazmaz+leaky-repo" / "repo"
    show = lambda spec: subprocess.run(["git", "--git-dir", str(git_dir), "show", spec], check=True, capture_output=True).stdout  # noqa: E731
    text = show("HEAD:.leaky-meta/secrets.csv").decode()
    rows = csv.reader(io.StringIO("\n".join(l for l in text.splitlines() if l.strip() and not l.startswith("#"))))
    labels = {r[0]: int(r[1]) for r in rows if len(r) >= 3 and r[1].isdigit() and int(r[1]) > 0}
    totals: Dict[str, List[int]] = collections.defaultdict(lambda: [0] * (1 + len(args.binaries)))
    with tempfile.TemporaryDirectory() as tmp:
        archive = subprocess.run(["git", "--git-dir", str(git_dir), "archive", "HEAD"], check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", tmp], input=archive, check=True)
        subprocess.run(["rm", "-rf", f"{tmp}/.leaky-meta"], check=True)
        found = []
        for binary in args.binaries:
            out = subprocess.run([binary, "scan", "-f", "json", "-q", "--no-ignore", tmp], capture_output=True).stdout
            lines: Dict[str, set] = collections.defaultdict(set)
            for f in json.loads(out)["findings"]:
                for loc in f["locations"]:
                    lines[loc["path"].replace(tmp + "/", "")].add(loc["line"])
            found.append(lines)
    for path, count in labels.items():
        row = totals[family(path)]
        row[0] += count
        for i, lines in enumerate(found):
            row[i + 1] += min(len(lines.get(path, ())), count)
    print("| leaky-repo family | risky lines | " + " | ".join(args.binaries) + " |")
    print("|---|--:|" + "--:|" * len(args.binaries))
    for name, row in sorted(totals.items(), key=lambda kv: -kv[1][0]):
        print(f"| {name} | " + " | ".join(str(x) for x in row) + " |")
    print("| total | " + " | ".join(str(sum(r[i] for r in totals.values())) for i in range(1 + len(args.binaries))) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
