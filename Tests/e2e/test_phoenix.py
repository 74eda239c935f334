"""Arize Phoenix (PyPI `arize-phoenix`, pinned in scripts/setup) as a team's OTLP receiver: traffic
through `ccglass serve --otlp-endpoint` must show up there as LLM spans with the model, the token counts
and a cost Phoenix computes equal to ccglass's, and Phoenix's refusal of metrics must be said once.
Phoenix's gRPC port binds every interface whatever its host setting, so the whole session runs in a
network namespace of its own with only loopback (phoenix_session.py)."""
import json
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest

from conftest import ROOT, binary

PHOENIX = ROOT / ".venv-phoenix" / "bin" / "phoenix"


@pytest.fixture
def namespace():
    if not PHOENIX.exists():
        pytest.skip("Arize Phoenix is not installed: scripts/setup --test puts it in .venv-phoenix")
    if not shutil.which("ip"):
        pytest.skip("needs iproute2's ip for a network namespace")
    name = f"ccglass-{uuid.uuid4().hex[:8]}"
    made = subprocess.run(["ip", "netns", "add", name], capture_output=True, text=True)
    if made.returncode != 0:
        pytest.skip(f"cannot make a network namespace here: {made.stderr.strip()}")
    try:
        subprocess.run(["ip", "netns", "exec", name, "ip", "link", "set", "lo", "up"], check=True)
        yield name
    finally:
        subprocess.run(["ip", "netns", "del", name], capture_output=True)


def test_phoenix_shows_ccglass_spans_as_llm_spans_costed_as_ccglass_costs_them(namespace, tmp_path):
    run = subprocess.run(["ip", "netns", "exec", namespace, str(ROOT / ".venv" / "bin" / "python"),
                          str(Path(__file__).parent / "phoenix_session.py"), str(PHOENIX), binary(), str(tmp_path)],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    report = json.loads(run.stdout.splitlines()[-1])
    ours = {r["model"]: r for r in report["ccglass"]}
    assert len(ours) == 3
    spans = {s["attributes"]["llm.model_name"]: s for s in report["spans"]}
    assert spans.keys() == ours.keys()
    for model, span in spans.items():
        usage = ours[model]["usage"]
        assert span["span_kind"] == "LLM" and span["name"] == f"chat {model}"
        assert span["attributes"]["llm.token_count.prompt"] == usage["inputTokens"]
        assert span["attributes"]["llm.token_count.completion"] == usage["outputTokens"]
        assert span["attributes"]["llm.token_count.prompt_details.cache_read"] == usage["cacheReadTokens"]
    costs = {e["node"]["name"].removeprefix("chat "): e["node"]["costSummary"]["total"]["cost"]
             for p in report["graphql"]["data"]["projects"]["edges"] for e in p["node"]["spans"]["edges"]}
    for model, row in ours.items():
        assert abs(costs[model] - row["costUSD"]) < 1e-6, (model, costs[model], row["costUSD"])  # to the microdollar
    log = report["ccglass_log"]
    assert log.count("does not take metrics (HTTP 405)") == 1, log
    assert "could not deliver" not in log and "refused traces" not in log
