"""Type hints for leakhound's Python package (the extension module ``leakhound._native``)."""

import os
from typing import List, Optional, Union

_Path = Union[str, "os.PathLike[str]"]

class LeakhoundError(Exception):
    """A scan could not start: rules, configuration or repository unusable."""

class Finding:
    """A secret a rule matched, at its first location."""

    rule_id: str
    rule_name: str
    secret: str
    """Redacted (``ghp_Q7fK…[40 chars]``) unless the call passed ``show_secrets=True``."""
    redacted: bool
    path: str
    line: int
    column: int
    end_line: int
    end_column: int
    locations: int
    """How many places the same secret was found (this finding describes the first)."""
    confidence: Optional[str]
    """``"low"``, ``"medium"`` or ``"high"``, when the rule states one."""
    decoded: Optional[str]
    """The encoding the secret was found under (``"base64"``, ``"json-string/base64"``), if any."""
    commit: Optional[str]
    """The commit that introduced it, for git scans."""

class ScanResult:
    """What a path or git scan found, and whether everything asked for was read."""

    findings: List[Finding]
    suppressed: List[Finding]
    """Findings an inline marker, configuration or baseline accepted."""
    notices: List[str]
    """Items not read and other warnings, one line each."""
    complete: bool
    """False when something asked for was not read (the command line exits 2 then)."""
    bytes_scanned: int

def scan_text(text: str, *, name: str = "<text>", show_secrets: bool = False) -> List[Finding]:
    """Scan a string; returns the findings not suppressed by an inline allow marker."""

def scan_bytes(data: bytes, *, name: str = "<bytes>", show_secrets: bool = False) -> List[Finding]:
    """Scan bytes (UTF-16 and encoded content are decoded as the file scan does)."""

def scan_path(*paths: _Path, show_secrets: bool = False) -> ScanResult:
    """Scan files and directories, as ``leakhound scan PATH...``."""

def scan_git(repo: _Path, *, staged: bool = False, show_secrets: bool = False) -> ScanResult:
    """Scan every object of a git repository, or only its staged changes."""

def rule_ids() -> List[str]:
    """The ids of the compiled rules."""

__all__: List[str]
