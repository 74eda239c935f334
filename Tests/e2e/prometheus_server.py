"""A real Prometheus server (Debian's package) scraping a ccglass, for dashboard and alert tests."""
import json
import re
import shutil
import socket
import subprocess
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class PrometheusServer:
    def __init__(self, workdir, target_port, rules=None):
        if not shutil.which("prometheus"):
            pytest.skip("prometheus is not installed (scripts/setup --test installs it)")
        self.port = free_port()
        workdir.mkdir(parents=True, exist_ok=True)
        config = {"global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
                  "scrape_configs": [{"job_name": "ccglass", "metrics_path": "/metrics",
                                      "static_configs": [{"targets": [f"127.0.0.1:{target_port}"]}]}]}
        if rules:
            (workdir / "rules.yml").write_text(yaml.safe_dump(rules))
            config["rule_files"] = [str(workdir / "rules.yml")]
        (workdir / "prometheus.yml").write_text(yaml.safe_dump(config))
        self.log = open(workdir / "prometheus.log", "wb")
        self.process = subprocess.Popen(
            ["prometheus", f"--config.file={workdir / 'prometheus.yml'}", f"--storage.tsdb.path={workdir / 'data'}",
             f"--web.listen-address=127.0.0.1:{self.port}"], stdout=self.log, stderr=subprocess.STDOUT)
        self.url = f"http://127.0.0.1:{self.port}"
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                urllib.request.urlopen(self.url + "/-/ready", timeout=1)
                return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("prometheus did not start: " + (workdir / "prometheus.log").read_text())

    def query(self, expr):
        url = self.url + "/api/v1/query?" + urllib.parse.urlencode({"query": expr})
        with urllib.request.urlopen(url, timeout=10) as r:
            body = json.loads(r.read())
        assert body["status"] == "success", body
        return body["data"]["result"]

    def value(self, expr):
        result = self.query(expr)
        return float(result[0]["value"][1]) if result else None

    def wait_for(self, expr, predicate, timeout=30):
        deadline = time.time() + timeout
        while True:
            value = self.value(expr)
            if value is not None and predicate(value):
                return value
            if time.time() > deadline:
                raise AssertionError(f"{expr} = {value} after {timeout}s")
            time.sleep(0.5)

    def alerts(self):
        with urllib.request.urlopen(self.url + "/api/v1/alerts", timeout=10) as r:
            return json.loads(r.read())["data"]["alerts"]

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=10)
        self.log.close()


def grafana_exprs(path=ROOT / "dashboards" / "ccglass-grafana.json", pushed=False):
    """The queries of the panels that read a ccglass's own /metrics; with `pushed`, those of the Team
    row instead, which read what a Collector remote-writes of the OTLP push (no Collector runs here)."""
    dashboard = json.loads(path.read_text())
    return [t["expr"] for p in dashboard["panels"] for t in p.get("targets", [])
            if p.get("description", "").startswith("OTLP push") == pushed]


def for_prometheus(expr):
    """Grafana's interval variables replaced the way Grafana would for a short, recent range."""
    return expr.replace("$__rate_interval", "1m").replace("$__range", "10m")


def alert_rules(path=ROOT / "dashboards" / "ccglass-alerts.yml"):
    return yaml.safe_load(path.read_text())


def left_of_threshold(expr):
    """`series > 0.1` -> `series`: the part that must return data whatever the threshold."""
    return re.split(r"\s(?:>|<|>=|<=|==|!=)\s[\d.]+\s*$", expr)[0]
