#!/usr/bin/env bash
# sarif-validate.sh — validate SARIF 2.1.0 logs the way GitHub code scanning ingests them.
#
#   .ci/sarif-validate.sh install      install the pinned SARIF Multitool (and what it needs), quietly;
#                                      does nothing when it is already there
#   .ci/sarif-validate.sh FILE...      validate each FILE; exit 1 if any has an error-level finding,
#                                      2 on usage errors, 3 if the validator itself could not run
#
# Each FILE goes through two checks:
#   1. Microsoft SARIF Multitool (npm @microsoft/sarif-multitool-linux, self-contained .NET binary)
#      `validate --rule-kind "Gh;Sarif"`: the bundled SARIF 2.1.0 JSON schema, the SARIF1xxx/2xxx
#      rules, and GitHub's GH1xxx/GH2012 rules. GH1001-GH1007 are disabled by default in the
#      Multitool, so a generated --config turns them on (GH1004, the array-size limits, as a
#      warning: GitHub truncates the display past them but still accepts the file).
#   2. The same bundled schema through python3 `jsonschema`, because the Multitool reports
#      nothing at all (exit 0, no results) for some schema-invalid files, e.g. `"level": "fatal"`.
#
# The Multitool's exit code does not reflect findings (0 even with errors), so this script reads
# the SARIF log the Multitool writes (--output) and counts the error-level results itself.
# Every error and warning is printed as "LEVEL RULE (Name) FILE:LINE:COL: message".
# Notes are hidden; SARIF_VALIDATE_NOTES=1 prints them too (they never fail the run).
#
# Do not run the Multitool through its npm wrapper (node_modules/.bin/sarif-multitool): it
# re-parses the arguments with /bin/sh, so the ';' in "Gh;Sarif" splits the command.
#
# Everything is installed under ${LEAKHOUND_CI_CACHE:-$HOME/.cache/leakhound-ci}, so it persists
# between runs on the same machine. Needs: node/npm, python3, x86_64 Linux, and libicu (Debian
# package libicu72 on bookworm; installed with apt-get when missing and running as root, otherwise
# the Multitool runs with DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1). python3's jsonschema is used
# if importable, else pip-installed (pinned) into the cache, else Debian's python3-jsonschema.
set -euo pipefail

MULTITOOL_VERSION="5.7.0"
JSONSCHEMA_VERSION="4.26.0"

CACHE_DIR="${LEAKHOUND_CI_CACHE:-$HOME/.cache/leakhound-ci}"
PREFIX="$CACHE_DIR/sarif-multitool-$MULTITOOL_VERSION"
PKG_DIR="$PREFIX/node_modules/@microsoft/sarif-multitool-linux"
BIN="$PKG_DIR/Sarif.Multitool"
SCHEMA="$PKG_DIR/sarif-2.1.0.json"
STAMP="$PREFIX/.leakhound-installed"
PYLIB="$CACHE_DIR/pylib-jsonschema-$JSONSCHEMA_VERSION"

log() { printf 'sarif-validate: %s\n' "$*" >&2; }
die() { log "$*"; exit 3; }

have_icu() {
    ldconfig -p 2>/dev/null | grep -qE 'libicuuc\.so\.[0-9]+'
}

have_jsonschema() {
    PYTHONPATH="$PYLIB${PYTHONPATH:+:$PYTHONPATH}" python3 -c 'import jsonschema' >/dev/null 2>&1
}

apt_install() { # apt_install PKG... (root only; quiet)
    [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 || return 1
    if [ -z "${_APT_UPDATED:-}" ]; then
        apt-get update -qq >/dev/null 2>&1 || return 1
        _APT_UPDATED=1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null 2>&1
}

install_icu() {
    have_icu && return 0
    [ "${1:-}" = lazy ] && [ -f "$PREFIX/.icu-attempted" ] && return 0
    local pkg=""
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        if apt-get update -qq >/dev/null 2>&1; then _APT_UPDATED=1; fi
        # Debian names the runtime after the ICU major version: libicu72 (bookworm), libicu76 (trixie).
        pkg="$(apt-cache search --names-only '^libicu[0-9]+$' 2>/dev/null | awk '{print $1}' | sort -V | tail -n1)"
    fi
    if [ -n "$pkg" ] && apt_install "$pkg" && have_icu; then
        return 0
    fi
    [ -d "$PREFIX" ] && touch "$PREFIX/.icu-attempted"
    log "note: libicu is not installed and could not be installed"
}

install_jsonschema() {
    have_jsonschema && return 0
    command -v python3 >/dev/null 2>&1 || die "python3 is required"
    rm -rf "$PYLIB.tmp"
    if python3 -m pip install --quiet --disable-pip-version-check --no-input \
            --target "$PYLIB.tmp" "jsonschema==$JSONSCHEMA_VERSION" >/dev/null 2>&1; then
        rm -rf "$PYLIB" && mv "$PYLIB.tmp" "$PYLIB"
    else
        rm -rf "$PYLIB.tmp"
        apt_install python3-jsonschema || true
    fi
    have_jsonschema || die "could not install the python3 'jsonschema' module"
}

multitool_ok() {
    [ -f "$STAMP" ] && [ -x "$BIN" ] && [ -f "$SCHEMA" ]
}

install_multitool() {
    multitool_ok && return 0
    case "$(uname -s)/$(uname -m)" in
        Linux/x86_64) ;;
        *) die "the SARIF Multitool npm package ships a Linux binary for x86_64 only (this is $(uname -s)/$(uname -m))" ;;
    esac
    command -v npm >/dev/null 2>&1 || die "npm is required to install the SARIF Multitool"
    mkdir -p "$CACHE_DIR"
    local tmp="$PREFIX.tmp.$$"
    rm -rf "$tmp"
    mkdir -p "$tmp"
    # --ignore-scripts: the only install script is the Linux package's `chmod u+x Sarif.Multitool`,
    # done below. Both packages are pinned (the wrapper's dependency on the Linux one is a ^range).
    if ! (cd "$tmp" && npm install --prefix "$tmp" --ignore-scripts --no-audit --no-fund \
            --loglevel=error "@microsoft/sarif-multitool@$MULTITOOL_VERSION" \
            "@microsoft/sarif-multitool-linux@$MULTITOOL_VERSION") >"$tmp.log" 2>&1; then
        cat "$tmp.log" >&2
        rm -rf "$tmp" "$tmp.log"
        die "npm install of @microsoft/sarif-multitool@$MULTITOOL_VERSION failed"
    fi
    rm -f "$tmp.log"
    chmod u+x "$tmp/node_modules/@microsoft/sarif-multitool-linux/Sarif.Multitool"
    rm -rf "$PREFIX"
    mv "$tmp" "$PREFIX"
    touch "$STAMP"
}

ensure_installed() { # what `validate` needs; each step is a no-op when already done
    install_multitool
    install_icu lazy
    install_jsonschema
    pick_mode
}

cmd_install() {
    install_multitool
    install_icu
    install_jsonschema
    pick_mode
}

# The .NET runtime in Sarif.Multitool aborts at start ("Couldn't find a valid ICU package") without
# libicu; DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1 makes it run without (same findings on our fixtures).
MT_MODE=""
pick_mode() {
    local out
    if out="$("$BIN" --version 2>&1)"; then
        MT_MODE=icu
    elif out="$(DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1 "$BIN" --version 2>&1)"; then
        MT_MODE=invariant
        log "note: no usable libicu; running the Multitool with DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1"
    else
        printf '%s\n' "$out" >&2
        die "the SARIF Multitool does not run ($BIN)"
    fi
    case "$out" in
        *"SARIF Multitool $MULTITOOL_VERSION"*) ;;
        *) printf '%s\n' "$out" >&2; die "unexpected SARIF Multitool version (want $MULTITOOL_VERSION)" ;;
    esac
}

run_multitool() {
    if [ "$MT_MODE" = invariant ]; then
        DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1 "$BIN" "$@"
    else
        "$BIN" "$@"
    fi
}

write_config() { # GH1001-GH1007 are EnabledByDefault=false in the Multitool: turn them on.
    cat >"$1" <<'EOF'
<?xml version="1.0" encoding="utf-8"?>
<Properties>
  <Properties Key="GH1001.ProvideRequiredLocationProperties.Options">
    <Property Key="RuleEnabled" Value="Error" Type="Driver.RuleEnabledState" />
  </Properties>
  <Properties Key="GH1002.InlineThreadFlowLocations.Options">
    <Property Key="RuleEnabled" Value="Error" Type="Driver.RuleEnabledState" />
  </Properties>
  <Properties Key="GH1003.ProvideRequiredRegionProperties.Options">
    <Property Key="RuleEnabled" Value="Error" Type="Driver.RuleEnabledState" />
  </Properties>
  <Properties Key="GH1004.ReviewArraysThatExceedConfigurableDefaults.Options">
    <Property Key="RuleEnabled" Value="Warning" Type="Driver.RuleEnabledState" />
  </Properties>
  <Properties Key="GH1005.LocationsMustBeRelativeUrisOrFilePaths.Options">
    <Property Key="RuleEnabled" Value="Error" Type="Driver.RuleEnabledState" />
  </Properties>
  <Properties Key="GH1006.ProvideCheckoutPath.Options">
    <Property Key="RuleEnabled" Value="Error" Type="Driver.RuleEnabledState" />
  </Properties>
  <Properties Key="GH1007.ProvideFullyFormattedMessageStrings.Options">
    <Property Key="RuleEnabled" Value="Error" Type="Driver.RuleEnabledState" />
  </Properties>
</Properties>
EOF
}

# report.py OUT_SARIF INPUT_FILE SCHEMA SHOW_NOTES: print the findings; exit 0 clean, 1 errors, 3 tool failure
write_report_py() {
    cat >"$1" <<'PY'
import json, re, sys

out_path, target, schema_path, show_notes = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4] == "1"
errors = warnings = notes = 0
tool_failed = False

def say(level, rule, where, text):
    print(f"  {level:<7} {rule} {where}: {text}")

def fmt(template, args):  # .NET composite format: {0}, {1}... and {{ }} for literal braces
    def sub(m):
        if m.group(0) in ("{{", "}}"):
            return m.group(0)[0]
        i = int(m.group(1))
        return str(args[i]) if i < len(args) else m.group(0)
    return re.sub(r"\{\{|\}\}|\{(\d+)\}", sub, template)

try:
    with open(out_path, encoding="utf-8-sig") as f:
        log = json.load(f)
    run = log["runs"][0]
except Exception as e:  # no output log: the Multitool did not run to completion
    print(f"  TOOL    the Multitool wrote no readable SARIF log ({e})")
    sys.exit(3)

rules = run.get("tool", {}).get("driver", {}).get("rules", []) or []
for inv in run.get("invocations", []) or []:
    for key in ("toolConfigurationNotifications", "toolExecutionNotifications"):
        for n in inv.get(key, []) or []:
            lvl = n.get("level", "warning")
            rid = (n.get("descriptor") or {}).get("id", "-")
            text = (n.get("message") or {}).get("text", "")
            if lvl == "error":
                tool_failed = True
            if lvl in ("error", "warning"):
                say("TOOL-" + lvl, rid, target, text)
    if inv.get("executionSuccessful") is False:
        tool_failed = True

for r in run.get("results", []) or []:
    idx = r.get("ruleIndex", -1)
    rule = rules[idx] if isinstance(idx, int) and 0 <= idx < len(rules) else next(
        (x for x in rules if x.get("id") == r.get("ruleId")), {})
    level = r.get("level") or (rule.get("defaultConfiguration") or {}).get("level") or "warning"
    msg = r.get("message") or {}
    text = msg.get("text")
    if text is None:
        template = ((rule.get("messageStrings") or {}).get(msg.get("id"), {}) or {}).get("text", msg.get("id", ""))
        text = fmt(template, msg.get("arguments", []) or [])
    region = ((((r.get("locations") or [{}])[0]).get("physicalLocation") or {}).get("region") or {})
    where = target
    line, col = region.get("startLine"), region.get("startColumn")
    if line:
        where += f":{line}" + (f":{col}" if col else "")
    name = rule.get("name")
    rid = r.get("ruleId", "-") + (f" ({name})" if name else "")
    text = " ".join(str(text).split())
    if level == "error":
        errors += 1
    elif level == "warning":
        warnings += 1
    else:
        notes += 1
        if not show_notes:
            continue
    say(level, rid, where, text)

# Second opinion on the schema: the Multitool silently skips some schema-invalid files.
import jsonschema
with open(schema_path, encoding="utf-8-sig") as f:
    schema = json.load(f)
try:
    with open(target, encoding="utf-8-sig") as f:
        instance = json.load(f)
except Exception as e:
    instance = None
    errors += 1
    say("error", "SCHEMA", target, f"not valid JSON: {e}")
if instance is not None:
    validator = jsonschema.validators.validator_for(schema)(schema)
    for e in sorted(validator.iter_errors(instance), key=lambda e: [str(p) for p in e.absolute_path]):
        errors += 1
        path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in e.absolute_path).lstrip(".") or "root"
        msg = " ".join(e.message.split())
        if len(msg) > 300:
            msg = msg[:300] + "..."
        say("error", "SCHEMA (jsonschema)", target, f"{path}: {msg}")

status = "FAIL" if errors else "ok"
print(f"  {status}: {errors} error(s), {warnings} warning(s), {notes} note(s)")
sys.exit(3 if tool_failed else (1 if errors else 0))
PY
}


TMP=""
cleanup() { [ -n "$TMP" ] && rm -rf "$TMP"; return 0; }

cmd_validate() {
    ensure_installed
    local cfg rc overall=0 f levels="Error;Warning"
    [ "${SARIF_VALIDATE_NOTES:-0}" = 1 ] && levels="Error;Warning;Note"
    TMP="$(mktemp -d "${TMPDIR:-/tmp}/sarif-validate.XXXXXX")"
    trap cleanup EXIT
    cfg="$TMP/gh-rules.xml"
    write_config "$cfg"
    write_report_py "$TMP/report.py"
    for f in "$@"; do
        echo "sarif-validate: $f"
        if [ ! -f "$f" ]; then
            echo "  TOOL    no such file: $f"
            overall=3
            continue
        fi
        rm -f "$TMP/out.sarif"
        rc=0
        run_multitool validate --rule-kind "Gh;Sarif" --config "$cfg" --level "$levels" \
            --output "$TMP/out.sarif" --log "ForceOverwrite;PrettyPrint" --quiet true \
            "$f" >"$TMP/console.txt" 2>&1 || rc=$?
        if [ "$rc" -ne 0 ]; then
            echo "  TOOL    the Multitool exited with status $rc:"
            sed 's/^/    /' "$TMP/console.txt" | head -n 40
            overall=3
            continue
        fi
        rc=0
        PYTHONPATH="$PYLIB${PYTHONPATH:+:$PYTHONPATH}" \
            python3 "$TMP/report.py" "$TMP/out.sarif" "$f" "$SCHEMA" "${SARIF_VALIDATE_NOTES:-0}" || rc=$?
        if [ "$rc" -eq 1 ]; then
            [ "$overall" -eq 0 ] && overall=1
        elif [ "$rc" -ne 0 ]; then
            overall=3
        fi
    done
    return "$overall"
}

usage() {
    sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

case "${1:-}" in
    ""|-h|--help) usage ;;
    install) [ $# -eq 1 ] || usage; cmd_install ;;
    *) cmd_validate "$@" ;;
esac
