"""The Python package's contract: typed findings, redaction by default, rules compiled once."""

import random
import string
import subprocess

import pytest

import leakhound

ALNUM = string.ascii_letters + string.digits


def fake_stripe_key(seed: int) -> str:
    """A generated fake with the shape of a Stripe live secret key (not a real credential)."""
    rng = random.Random(seed)
    return "sk_" + "live_" + "".join(rng.choice(ALNUM) for _ in range(99))


def test_scan_text_finds_a_key_and_redacts_it_by_default():
    key = fake_stripe_key(1)
    findings = leakhound.scan_text(f"# settings\nSTRIPE_KEY={key}\n", name="settings.env")
    assert [f.rule_id for f in findings] == ["stripe.secret-key.live"]
    finding = findings[0]
    assert isinstance(finding, leakhound.Finding)
    assert finding.path == "settings.env"
    assert (finding.line, finding.column) == (2, 12)
    assert finding.redacted is True
    assert key not in finding.secret
    assert finding.secret.startswith("sk_live_") and "[107 chars]" in finding.secret
    assert key not in repr(finding)


def test_show_secrets_returns_the_whole_secret():
    key = fake_stripe_key(2)
    (finding,) = leakhound.scan_text(f"key={key}", show_secrets=True)
    assert finding.secret == key
    assert finding.redacted is False


def test_clean_text_has_no_findings():
    assert leakhound.scan_text("nothing to see here: password=changeme\n") == []


def test_scan_bytes_reads_utf16():
    key = fake_stripe_key(3)
    data = f"STRIPE_KEY={key}\n".encode("utf-16")
    assert [f.rule_id for f in leakhound.scan_bytes(data, name="notes.txt")] == ["stripe.secret-key.live"]


def test_inline_allow_marker_suppresses_a_buffer_finding():
    key = fake_stripe_key(4)
    assert leakhound.scan_text(f"key={key}  # leakhound:allow\n") == []


def test_scan_path_reports_files_and_completeness(tmp_path):
    key = fake_stripe_key(5)
    (tmp_path / "app.env").write_text(f"STRIPE_KEY={key}\n")
    (tmp_path / "clean.txt").write_text("hello\n")
    result = leakhound.scan_path(tmp_path)
    assert isinstance(result, leakhound.ScanResult)
    assert result.complete is True
    assert [(f.rule_id, f.path.endswith("app.env")) for f in result.findings] == [("stripe.secret-key.live", True)]
    assert result.bytes_scanned > 0


def test_scan_path_names_what_it_could_not_read(tmp_path):
    result = leakhound.scan_path(tmp_path / "missing")
    assert result.complete is False
    assert any("missing" in notice for notice in result.notices)


def test_scan_git_finds_a_key_in_history(tmp_path):
    key = fake_stripe_key(6)
    git = ["git", "-C", str(tmp_path), "-c", "user.name=t", "-c", "user.email=t@example.invalid"]
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / "app.env").write_text(f"STRIPE_KEY={key}\n")
    subprocess.run([*git, "add", "app.env"], check=True)
    subprocess.run([*git, "commit", "-qm", "add"], check=True)
    (tmp_path / "app.env").write_text("STRIPE_KEY=from-the-vault\n")
    subprocess.run([*git, "commit", "-qam", "remove"], check=True)
    result = leakhound.scan_git(tmp_path)
    assert result.complete is True
    assert [f.rule_id for f in result.findings] == ["stripe.secret-key.live"]
    assert result.findings[0].commit is not None


def test_scan_git_on_a_non_repository_raises(tmp_path):
    with pytest.raises(leakhound.LeakhoundError):
        leakhound.scan_git(tmp_path / "nowhere")


def test_rule_ids_lists_the_compiled_rules():
    ids = leakhound.rule_ids()
    assert "stripe.secret-key.live" in ids
    assert len(ids) == len(set(ids))
