#!/usr/bin/env python3
"""Writes rules/providers-hand-5p.yaml: provider forms (families d..z) a provider-table row cannot say.

Found missing when scoring on others' material (benches/recall.py): API tokens that are JWTs, or
JWT-like dotted base64url values hundreds of characters long, keyed only by the provider's name
(FlightLabs, Form.io, Lemon Squeezy, Paperform, Portainer, Really Simple Systems, Rentman,
StoryChief, Tallyfy, viewneo, Wrike, Zeplin). A row's
alphabets are closed sets without `.`, so these are hand rules. The facts (the value is a long
dotted base64url token next to the provider's name) come from the vendors' API pages and the peers'
public rule lists; no pattern or example was copied. Every example is a random fake from a PRNG
seeded with the rule id, so the output is the same on every run. Python 3 standard library only.

Usage:
    python3 rules/coverage/hand5p.py            # rewrite rules/providers-hand-5p.yaml
    python3 rules/coverage/hand5p.py --check    # exit 1 when the YAML is stale
"""

from __future__ import annotations

import random
import string
import sys
from pathlib import Path

# No __pycache__ under rules/: build.rs watches the directory.
sys.dont_write_bytecode = True
import generated  # noqa: E402  (after the line above)

HERE = Path(__file__).resolve().parent
OUTPUT = HERE.parent / "providers-hand-5p.yaml"
B64URL = string.ascii_letters + string.digits + "-_"

# (rule id, provider, names, reference)
JWT_PROVIDERS = [
    ("flightlabs.api-key", "FlightLabs", ["flightlabs"], "https://www.goflightlabs.com/documentation"),
    ("formio.api-token", "Form.io", ["formio", "form.io"], "https://apidocs.form.io/"),
    ("lemonsqueezy.api-key", "Lemon Squeezy", ["lemonsqueezy", "lemon_squeezy"],
     "https://docs.lemonsqueezy.com/api/getting-started/requests#authentication"),
    ("paperform.api-token", "Paperform", ["paperform"],
     "https://paperform.co/help/articles/how-to-use-the-paperform-api/"),
    ("portainer.jwt", "Portainer", ["portainer"], "https://docs.portainer.io/api/access"),
    ("reallysimplesystems.api-key", "Really Simple Systems",
     ["reallysimplesystems", "really_simple_systems", "really-simple-systems"],
     "https://api.reallysimplesystems.com"),
    ("rentman.api-token", "Rentman", ["rentman"], "https://api.rentman.net"),
    ("storychief.api-key", "StoryChief", ["storychief"], "https://developers.storychief.io"),
    ("tallyfy.api-token", "Tallyfy", ["tallyfy"], "https://go.tallyfy.com/api/"),
    ("viewneo.api-token", "viewneo", ["viewneo"], "https://cloud.viewneo.com/api"),
    ("wrike.permanent-token", "Wrike", ["wrike"],
     "https://developers.wrike.com/oauth-20-authorization/"),
    ("zeplin.personal-access-token", "Zeplin", ["zeplin"],
     "https://docs.zeplin.dev/docs/personal-access-tokens"),
]

WORDS = "key|token|secret|access|auth"
# Keywords other than the names, where a name is the inside of common code words: `rentman` is in
# every `parentManifest`, so its keywords are the name with what follows it in a key name.
KEYWORDS = {
    "rentman.api-token": ["rentman_", "rentman-", "rentman.", "rentman ", "rentman\"", "rentman=",
                          "rentman:", "rentmantoken", "rentmanapi", "rentmankey", "rentmansecret"],
}
SEPARATOR = (r"""["']?(?:\s*(?::=|=>|[:=,])\s*|[ \t]+(?:(?:is|-)[ \t]+)?)["']?"""
             r"(?:bearer[ \t]+)?")
# A dotted base64url token: a first part of 16+ characters, a dot, then 80+ characters of
# base64url and dots (a JWT's payload and signature).
VALUE = r"[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_.-]{80,}"
STOP = r"(?:[^A-Za-z0-9_.-]|(?m:$))"


def q(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def fake_jwt(rng: random.Random) -> str:
    part = lambda n: "".join(rng.choice(B64URL) for _ in range(n))  # noqa: E731
    return "ey" + part(34) + ".ey" + part(rng.randint(180, 260)) + "." + part(43)


def jwt_rule(rule_id: str, provider: str, names: list[str], reference: str) -> str:
    rng = random.Random("hand5p:" + rule_id)
    alt = "|".join(n.replace(".", r"\.") for n in names)
    pattern = (f"(?i:(?:{alt})[\\w. \\t-]{{0,24}}?(?:{WORDS}){SEPARATOR}"
               f"|\\b(?:{alt})[\"']?[ \\t]+[\"']?)(?P<secret>{VALUE}){STOP}")
    v1, v2, v3 = fake_jwt(rng), fake_jwt(rng), fake_jwt(rng)
    upper = names[0].upper().replace("-", "_")
    undotted = v1.replace(".", "")
    lines = [
        f"  - id: {rule_id}",
        f"    name: {q(provider + ' API token (a JWT or dotted base64url token)')}",
        f"    provider: {q(provider)}",
        "    kind: token",
        "    keywords:",
        *[f"      - {q(k)}" for k in KEYWORDS.get(rule_id, [n.lower() for n in names])],
        f"    pattern: {q(pattern)}",
        "    min_entropy: 4.5",
        "    confidence: medium",
        "    severity: high",
        "    references:",
        f"      - {q(reference)}",
        "    revoke: " + q(f"Revoke or regenerate the token in the {provider} account (API or "
                         "integration settings), then replace it wherever it is used."),
        "    examples:",
        f"      - {q(f'{upper}_API_TOKEN={v1}')}",
        f"      - {q(f'{names[-1]} token - ' + chr(39) + v2 + chr(39))}",
        f"      - {q(f'{names[0]} {v3}')}",
        "    negative_examples:",
        f"      - {q(f'API_TOKEN={v1}')}",
        f"      - {q(f'{upper}_API_TOKEN={undotted}')}",
        f"      - {q(f'{upper}_API_TOKEN=${{{upper}_API_TOKEN}}')}",
    ]
    return "\n".join(lines)


B64 = string.ascii_letters + string.digits + "+/"
# A PEM private key written as string pieces joined in code (`"-----BEGIN ... KEY-----" +` then one
# quoted base64 line per source line, Java/JS `+` or C/Python adjacent literals). The PEM rules
# read a block whose lines follow each other; here quotes and `+` sit between them.
PIECE_SEP = r"""["'][ \t]*\+?\s*?\+?[ \t]*["']"""
CONCAT_PATTERN = (
    r"(?s)(?P<secret>-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----(?:\\n)?" + PIECE_SEP
    + r"(?:[A-Za-z0-9+/=]{16,}(?:\\n)?" + PIECE_SEP + r"){3,}"
    + r"-----END (?:[A-Z0-9]+ )*PRIVATE KEY-----)"
)


def concatenated_pem_rule() -> str:
    rng = random.Random("hand5p:privatekey.concatenated-pem")

    def body(n: int) -> list[str]:
        first = "MIIEpAIBAAKCAQEA" + "".join(rng.choice(B64) for _ in range(48))
        return [first] + ["".join(rng.choice(B64) for _ in range(64)) for _ in range(n - 1)]

    java = ['"-----BEGIN RSA PRIVATE KEY-----\\n" +']
    java += [f'    "{line}\\n" +' for line in body(6)]
    java += ['    "-----END RSA PRIVATE KEY-----\\n";']
    py = ["KEY = (", '    "-----BEGIN PRIVATE KEY-----"']
    py += [f'    "{line}"' for line in body(5)]
    py += ['    "-----END PRIVATE KEY-----"', ")"]
    stub = ['"-----BEGIN RSA PRIVATE KEY-----" +', '"..." +', '"-----END RSA PRIVATE KEY-----"']
    public = ['"-----BEGIN PUBLIC KEY-----" +']
    public += [f'"{line}" +' for line in body(4)]
    public += ['"-----END PUBLIC KEY-----"']

    def block(lines: list[str]) -> list[str]:
        return ["      - |"] + [f"        {line}" for line in lines]

    keywords = ['private key-----"', "private key-----'", 'private key-----\\n"']
    lines = [
        "  - id: privatekey.concatenated-pem",
        "    name: 'Private key written as concatenated string pieces in code'",
        "    provider: Generic",
        "    kind: private-key",
        "    keywords:",
        *[f"      - {q(k)}" for k in keywords],
        f"    pattern: {q(CONCAT_PATTERN)}",
        "    lines_after: 200",
        "    min_entropy: 4.5",
        "    confidence: high",
        "    severity: critical",
        "    references:",
        "      - 'https://www.rfc-editor.org/rfc/rfc7468'",
        "    revoke: " + q("Treat the key as compromised: generate a new key pair, replace the public "
                         "key wherever it is trusted, revoke certificates issued for it."),
        "    examples:",
        *block(java),
        *block(py),
        "    negative_examples:",
        *block(stub),
        *block(public),
    ]
    return "\n".join(lines)


def render() -> str:
    head = (
        "# GENERATED by rules/coverage/hand5p.py; edit the script, not this file.\n"
        "# Provider forms (families d..z) found missing when scoring on others' material\n"
        "# (benches/recall.py) that a provider-table row cannot say: API tokens that are JWTs or\n"
        "# JWT-like dotted base64url values next to the provider's name, and private keys written as\n"
        "# concatenated string pieces in code. Facts only; every example is a generated fake.\n"
        "rules:\n"
    )
    rules = [jwt_rule(*row) for row in JWT_PROVIDERS] + [concatenated_pem_rule()]
    return head + "\n\n".join(rules) + "\n"


def main() -> int:
    return generated.run(__doc__.splitlines()[0], OUTPUT, render, "rules/coverage/hand5p.py")


if __name__ == "__main__":
    sys.exit(main())
