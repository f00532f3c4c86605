"""leakhound: find leaked credentials in text, files and git history.

The rules are compiled once per process (on the first ``scan_text``/``scan_bytes`` call);
secrets are redacted unless ``show_secrets=True``. See ``docs/embedding.md`` in the repository.
"""

from ._native import (
    Finding,
    LeakhoundError,
    ScanResult,
    rule_ids,
    scan_bytes,
    scan_git,
    scan_path,
    scan_text,
)

__all__ = [
    "Finding",
    "LeakhoundError",
    "ScanResult",
    "rule_ids",
    "scan_bytes",
    "scan_git",
    "scan_path",
    "scan_text",
]
