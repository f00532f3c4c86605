#!/usr/bin/env python3
"""Latency of the embedding surfaces on a 10 KB text. Not a test: it prints numbers.

    python3 benches/embed_latency.py --binary target/release/leakhound [--python] [--runs N]

- serve: one `leakhound serve` process; the time from writing a `scan_text` request to reading
  its response line, after one warm-up request. Start-up (spawn to first response) is reported
  separately.
- hook: `leakhound hook claude-code` run as a new process per event (process start and rule
  compilation included), with a UserPromptSubmit payload holding the text.
- python (with --python): `leakhound.scan_text` in this interpreter; the first call (compiles the
  rules) separately from the median of the later ones. Needs the wheel installed.

The text is the first 10 KB of this repository's README.md: prose and code with keywords that
wake the prefilter (token, key, secret, password), and no secret.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def sample_text() -> str:
    with open(os.path.join(ROOT, "README.md"), "rb") as f:
        return f.read(10 * 1024).decode("utf-8", "replace")


def summary(name: str, seconds: list) -> str:
    ms = sorted(s * 1000 for s in seconds)
    p90 = ms[int(len(ms) * 0.9) - 1] if len(ms) >= 10 else ms[-1]
    return f"{name}: median {statistics.median(ms):.3f} ms, p90 {p90:.3f} ms, min {ms[0]:.3f} ms ({len(ms)} runs)"


def bench_serve(binary: str, text: str, runs: int) -> None:
    start = time.perf_counter()
    proc = subprocess.Popen([binary, "serve"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    request = lambda i: (json.dumps({"id": i, "op": "scan_text", "text": text}) + "\n").encode()
    proc.stdin.write(request(0))
    proc.stdin.flush()
    first = json.loads(proc.stdout.readline())
    startup = time.perf_counter() - start
    assert first["ok"], first
    times = []
    for i in range(1, runs + 1):
        line = request(i)
        t0 = time.perf_counter()
        proc.stdin.write(line)
        proc.stdin.flush()
        reply = proc.stdout.readline()
        times.append(time.perf_counter() - t0)
        assert json.loads(reply)["id"] == i
    proc.stdin.close()
    proc.wait()
    print(f"serve start-up (spawn to first 10 KB response): {startup * 1000:.1f} ms")
    print(summary("serve scan_text 10 KB round trip", times))


def bench_hook(binary: str, text: str, runs: int) -> None:
    payload = json.dumps({
        "session_id": "bench", "transcript_path": "/dev/null", "cwd": ROOT,
        "hook_event_name": "UserPromptSubmit", "prompt": text,
    }).encode()
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        done = subprocess.run([binary, "hook", "claude-code"], input=payload, capture_output=True)
        times.append(time.perf_counter() - t0)
        assert done.returncode == 0 and done.stdout == b"", done
    print(summary("hook claude-code UserPromptSubmit 10 KB, new process each", times))


def bench_python(text: str, runs: int) -> None:
    import leakhound

    t0 = time.perf_counter()
    leakhound.scan_text(text)
    first = time.perf_counter() - t0
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        leakhound.scan_text(text)
        times.append(time.perf_counter() - t0)
    print(f"python first scan_text (compiles the rules): {first * 1000:.1f} ms")
    print(summary("python scan_text 10 KB after the first call", times))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--binary", default=os.path.join(ROOT, "target", "release", "leakhound"))
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--hook-runs", type=int, default=50)
    parser.add_argument("--python", action="store_true", help="also measure the Python module")
    parser.add_argument("--no-binary", action="store_true", help="skip serve and hook")
    args = parser.parse_args()
    text = sample_text()
    print(f"text: {len(text.encode())} bytes; python {sys.version.split()[0]}; cpus {os.cpu_count()}")
    if not args.no_binary:
        bench_serve(args.binary, text, args.runs)
        bench_hook(args.binary, text, args.hook_runs)
    if args.python:
        bench_python(text, args.runs)


if __name__ == "__main__":
    main()
