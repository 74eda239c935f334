"""Fixtures: the built ccglass binary, a mock upstream, and a running `ccglass serve` in front of it."""
import contextlib
import json
import os
import re
import secrets
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from mock_upstream import MockUpstream  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "Tests" / "Fixtures"
ARTIFACTS = ROOT / "test-artifacts"


def fake_key(label):
    """A stand-in API key, random per run: long enough to look like one to the redaction code, but not in
    any provider's real format, so no key-shaped literal lives in the repository and a scan for it
    cannot pass by matching something hard-coded."""
    return f"test-key-{label}-{secrets.token_hex(20)}"


def binary():
    path = os.environ.get("CCGLASS_BIN") or str(ROOT / ".build" / "debug" / "ccglass")
    if not Path(path).exists():
        raise RuntimeError(f"{path} not built: run `swift build` first")
    return path


class Proxy:
    """A running `ccglass serve` on a free port."""

    def __init__(self, home, upstreams, extra_args=(), env=None, log_dir=None):
        self.home = Path(home)
        args = [binary(), "serve", "--port", "0", "--log-level", "info"]
        for name, url in upstreams.items():
            args += ["--upstream", f"{name}={url}"]
        args += list(extra_args)
        full_env = dict(os.environ, CCGLASS_HOME=str(self.home), **(env or {}))
        self.home.mkdir(parents=True, exist_ok=True)
        self.log_path = Path(log_dir or self.home) / f"serve-{time.monotonic_ns()}.log"
        self.log = open(self.log_path, "wb")
        self.process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=self.log, env=full_env)
        self.port = self._wait_for_port()
        self.url = f"http://127.0.0.1:{self.port}"

    def _wait_for_port(self):
        deadline = time.time() + 30
        while time.time() < deadline:
            text = self.log_path.read_text(errors="replace")
            m = re.search(r"listening on http://[^:/]+:(\d+)", text)
            if m:
                return int(m.group(1))
            if self.process.poll() is not None:
                raise RuntimeError(f"ccglass exited {self.process.returncode}:\n{text}")
            time.sleep(0.05)
        raise RuntimeError("ccglass did not start:\n" + self.log_path.read_text(errors="replace"))

    @property
    def token(self):
        return (self.home / "token").read_text().strip()

    def get_json(self, path, headers=None):
        request = urllib.request.Request(self.url + path, headers={"Authorization": f"Bearer {self.token}", **(headers or {})})
        with urllib.request.urlopen(request, timeout=10) as r:
            return json.loads(r.read())

    def rows(self):
        """The dashboard API's list of exchanges, newest first."""
        return self.get_json("/api/exchanges?limit=1000")

    def exchange(self, id):
        """One exchange as the dashboard's detail view gets it."""
        return self.get_json(f"/api/exchanges/{id}")

    def wait_exchange(self, predicate=lambda e: True, count=1, timeout=10):
        """The finished exchanges (full records) matching `predicate`, once there are `count` (newest first)."""
        deadline = time.time() + timeout
        details = {}
        while True:
            for row in self.rows():
                if row["phase"] == "finished" and row["id"] not in details:
                    details[row["id"]] = self.exchange(row["id"])["exchange"]
            found = sorted((e for e in details.values() if predicate(e)), key=lambda e: e["id"], reverse=True)
            if len(found) >= count:
                return found
            if time.time() > deadline:
                raise AssertionError(f"only {len(found)} of {count} exchanges finished: {self.rows()}")
            time.sleep(0.05)

    def wait_stored(self, count=1, timeout=10):
        """Waits until the history on disk holds `count` finished exchanges: the dashboard API and
        `wait_exchange` see an exchange in memory before the history writer's batch reaches the file."""
        deadline = time.time() + timeout
        while True:
            result = subprocess.run([binary(), "requests", "--json", "--limit", "1000", "--data-dir", str(self.home)],
                                    capture_output=True, text=True)
            stored = json.loads(result.stdout) if result.returncode == 0 and result.stdout.strip().startswith("[") else []
            if sum(1 for row in stored if row["phase"] == "finished") >= count:
                return stored
            if time.time() > deadline:
                raise AssertionError(f"only {len(stored)} of {count} exchanges in the history: {result.stderr}")
            time.sleep(0.05)

    def stop(self, sig=signal.SIGTERM):
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()

    def log_text(self):
        return self.log_path.read_text(errors="replace")


@pytest.fixture
def mock():
    server = MockUpstream()
    yield server
    server.close()


@pytest.fixture
def proxy(mock, tmp_path):
    upstreams = {name: mock.url for name in ("anthropic", "openai", "deepseek", "moonshot")}
    p = Proxy(tmp_path / "home", upstreams)
    yield p
    p.stop()


@contextlib.contextmanager
def tmpfs(path, options):
    """Mounts a tmpfs at `path` (read-only, tiny, …) for a store fault test; skips where mount is not allowed."""
    path.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)], capture_output=True)
    if result.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {result.stderr.decode().strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], capture_output=True)


def load_fixture(name):
    return json.loads((FIXTURES / "claude-code" / name).read_text())
