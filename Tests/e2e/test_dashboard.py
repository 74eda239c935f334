"""The live dashboard in headless Chromium: rows appear as requests happen, the detail shows what was
sent and what it cost, nothing errors in the console; and strangers are refused."""
import shutil
import subprocess
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import anthropic
import pytest

from conftest import ARTIFACTS, Proxy, ROOT
from mock_upstream import (anthropic_key_headers, anthropic_message, anthropic_stream_events, anthropic_usage, claude_plan_headers, json_reply,
                           stream_reply)

PROMPT = "Refactor the <b>flux</b> capacitor & explain why"


@pytest.fixture
def browser():
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver_path = shutil.which("chromedriver")
    if not chromium or not driver_path:
        pytest.skip("chromium and chromedriver are needed (scripts/setup --test installs them)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1500,1000"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    yield driver
    driver.quit()


def shot(driver, name):
    ARTIFACTS.mkdir(exist_ok=True)
    driver.save_screenshot(str(ARTIFACTS / f"dashboard-{name}.png"))


def console_errors(driver):
    return [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]


def wait(driver, condition, timeout=5):
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.support.ui import WebDriverWait
    # The page re-renders as data arrives: an element read mid-update is simply read again.
    return WebDriverWait(driver, timeout, poll_frequency=0.02, ignored_exceptions=[StaleElementReferenceException]).until(condition)


def click(driver, selector, index=0):
    """Clicks an element, finding it again if the page re-rendered it in between."""
    from selenium.webdriver.common.by import By
    wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, selector)[index].click() or True)


def test_rows_appear_live_and_the_detail_shows_prompt_tokens_and_cost(proxy, mock, browser):
    from selenium.webdriver.common.by import By
    browser.get(f"{proxy.url}/?token={proxy.token}")
    assert browser.current_url == f"{proxy.url}/"  # the token went into a cookie, out of the address bar
    wait(browser, lambda d: d.find_element(By.ID, "empty").is_displayed())
    wait(browser, lambda d: "on" in d.find_element(By.ID, "live").get_attribute("class"))
    shot(browser, "empty")

    start = anthropic_usage(input_tokens=1200, output_tokens=1, cache_read=30000, cache_5m=2000, cache_1h=4000)
    mock.enqueue(stream_reply(anthropic_stream_events(model="claude-sonnet-4-5-20250929", text="Here is the plan.",
                                                      start_usage=start, final_usage=dict(start, output_tokens=350)), gap=0.05))
    client = anthropic.Anthropic(base_url=f"{proxy.url}/anthropic", api_key="test-key-anthropic", max_retries=0)
    with client.messages.stream(model="claude-sonnet-4-5", max_tokens=500, messages=[{"role": "user", "content": PROMPT}]) as s:
        s.get_final_message()
    done = time.time()
    # the row is there within a second of the request ending, without a reload
    row = wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#rows tr"), timeout=1)[0]
    assert time.time() - done < 1
    wait(browser, lambda d: "inflight" not in d.find_element(By.CSS_SELECTOR, "#rows tr").get_attribute("class"), timeout=3)
    cells = browser.execute_script("return [...document.querySelectorAll('#rows tr td')].map(td => td.textContent)")
    assert "claude-sonnet-4-5-20250929" in cells and "anthropic-python" in cells
    assert "37.2k" in cells and "350" in cells and "30.0k" in cells and "81%" in cells
    assert "$0.049350" in cells
    assert any(PROMPT in c for c in cells)  # shown as text, not HTML
    shot(browser, "live-row")

    click(browser, "#rows tr")
    body = wait(browser, lambda d: d.find_element(By.ID, "detail-body"))
    wait(browser, lambda d: "Cost" in d.find_element(By.ID, "detail-body").text)
    overview = body.text
    assert "37.2k" in overview and "30.0k" in overview and "350" in overview
    assert "$0.049350" in overview and "$0.024000" in overview  # total, and the 1-hour cache write
    assert "anthropic:claude-sonnet-4-5" in overview
    shot(browser, "detail-overview")
    click(browser, '#detail-tabs button[data-pane="request"]')
    wait(browser, lambda d: PROMPT in d.find_element(By.ID, "detail-body").text)
    click(browser, '#detail-tabs button[data-pane="response"]')
    wait(browser, lambda d: "Here is the plan." in d.find_element(By.ID, "detail-body").text)
    click(browser, '#detail-tabs button[data-pane="raw"]')
    curl = wait(browser, lambda d: d.find_element(By.ID, "curl")).text
    assert "$API_KEY" in curl and "test-key-anthropic" not in curl
    shot(browser, "detail-raw")
    assert browser.find_elements(By.TAG_NAME, "b") == [] or all(PROMPT not in b.text for b in browser.find_elements(By.TAG_NAME, "b"))
    assert console_errors(browser) == []


def test_signed_in_traffic_shows_its_cost_as_the_api_equivalent(proxy, mock, browser):
    from selenium.webdriver.common.by import By
    usage = anthropic_usage(input_tokens=1000, output_tokens=100)
    for _ in range(2):
        mock.enqueue(stream_reply(anthropic_stream_events(model="claude-sonnet-4-5-20250929", start_usage=usage, final_usage=usage)))
    # Claude Code signed in to a Pro/Max plan sends its OAuth token as a bearer; an API key goes as x-api-key.
    signed_in = anthropic.Anthropic(base_url=f"{proxy.url}/anthropic", auth_token="sk-ant-oat01-" + "x" * 40, max_retries=0)
    keyed = anthropic.Anthropic(base_url=f"{proxy.url}/anthropic", api_key="test-key-anthropic", max_retries=0)
    for client, text in ((keyed, "keyed"), (signed_in, "signed in")):
        with client.messages.stream(model="claude-sonnet-4-5", max_tokens=50, messages=[{"role": "user", "content": text}]) as s:
            s.get_final_message()
    browser.get(f"{proxy.url}/?token={proxy.token}")
    wait(browser, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#rows tr:not(.inflight)")) == 2)
    each = (1000 * 3 + 100 * 15) / 1e6  # $3 in, $15 out per million
    costs = browser.execute_script("return [...document.querySelectorAll('#rows tr')].map(tr => [tr.children[12].textContent, tr.children[12].title])")
    assert costs == [[f"≈${each:.6f}", "≈ API-equivalent: signed-in (subscription) traffic is not billed per token; this is what the API would charge for it."],
                     [f"${each:.6f}", ""]]
    totals = browser.find_element(By.ID, "totals").text
    assert f"${2 * each:.6f} (≈${each:.6f})" in totals and "cost (≈ API-equivalent)" in totals
    click(browser, "#rows tr")
    wait(browser, lambda d: "API-equivalent: signed in to a plan" in d.find_element(By.ID, "detail-body").text)
    shot(browser, "api-equivalent")
    assert console_errors(browser) == []


def test_the_limits_panel_shows_each_window_and_budget_and_follows_new_readings(mock, browser, tmp_path):
    import json
    from selenium.webdriver.common.by import By
    home = tmp_path / "home"
    home.mkdir()
    (home / "config.json").write_text(json.dumps({"budgets": {"daily": 0.05}}))
    proxy = Proxy(home, {"anthropic": mock.url})
    try:
        token = "sk-ant-oat01-" + "p" * 40
        five_reset, seven_reset = time.time() + 2 * 3600 + 600, time.time() + 3 * 86400
        usage = anthropic_usage(input_tokens=10000, output_tokens=1000)  # $0.045 at Sonnet 4.5's API prices
        mock.enqueue(stream_reply(anthropic_stream_events(start_usage=usage, final_usage=usage),
                                  headers=claude_plan_headers(0.62, 1.04, five_reset, seven_reset, claim="seven_day")))
        signed_in = anthropic.Anthropic(base_url=f"{proxy.url}/anthropic", auth_token=token, max_retries=0)
        keyed = anthropic.Anthropic(base_url=f"{proxy.url}/anthropic", api_key="test-key-anthropic", max_retries=0)
        signed_in.messages.create(model="claude-sonnet-4-5", max_tokens=50, messages=[{"role": "user", "content": "one"}])
        proxy.wait_exchange(count=1)
        browser.get(f"{proxy.url}/?token={proxy.token}")
        panel = wait(browser, lambda d: d.find_element(By.ID, "limits-panel").is_displayed() and d.find_element(By.ID, "limits-panel"))

        def window(name):
            node = panel.find_element(By.CSS_SELECTOR, f'[data-window="anthropic|…pppp|{name}"]')
            fill = node.find_element(By.CSS_SELECTOR, ".limit-fill")
            return node.text, node.get_attribute("class").split(), browser.execute_script("return arguments[0].style.width", fill)
        text, classes, style = window("five_hour")
        assert "62%" in text and "resets in 2 h 10 min" in text and "binding" not in classes and style == "62%"
        text, classes, style = window("seven_day")
        # Past 100 %, as plans allow: the bar is full and red, and this window binds.
        assert "104%" in text and "binds now" in text and "binding" in classes and style == "100%"
        budget = panel.find_element(By.CSS_SELECTOR, '[data-budget="daily"]').text
        assert "≈$0.045000 of $0.050000" in budget and "90% spent" in budget, budget
        shot(browser, "limits")

        # A new reading and a crossed budget show without a reload.
        mock.enqueue(stream_reply(anthropic_stream_events(start_usage=usage, final_usage=usage),
                                  headers=claude_plan_headers(0.83, 1.04, five_reset, seven_reset)))
        signed_in.messages.create(model="claude-sonnet-4-5", max_tokens=50, messages=[{"role": "user", "content": "two"}])
        wait(browser, lambda d: "83%" in d.find_element(By.CSS_SELECTOR, '[data-window="anthropic|…pppp|five_hour"]').text, timeout=5)
        wait(browser, lambda d: "crossed" in d.find_element(By.CSS_SELECTOR, '[data-budget="daily"]').text, timeout=5)
        assert "binding" in browser.find_element(By.CSS_SELECTOR, '[data-window="anthropic|…pppp|five_hour"]').get_attribute("class").split()
        # An API key's windows are counts left, beside the plan's.
        mock.enqueue(stream_reply(anthropic_stream_events(), headers=anthropic_key_headers(input_tokens=(2_000_000, 1_500_000))))
        keyed.messages.create(model="claude-sonnet-4-5", max_tokens=50, messages=[{"role": "user", "content": "three"}])
        wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, '[data-window$="|input_tokens"]'), timeout=5)
        assert "25%" in browser.find_element(By.CSS_SELECTOR, '[data-window$="|input_tokens"]').text
        shot(browser, "limits-live")
        assert console_errors(browser) == []
    finally:
        proxy.stop()


def test_the_session_view_draws_the_agent_tree_and_marks_the_compaction(proxy, mock, browser):
    import json
    from selenium.webdriver.common.by import By
    session = "dash-agents-1"
    headers = {"User-Agent": "claude-cli/2.1.332 (external, cli)", "X-Claude-Code-Session-Id": session}
    main = anthropic.Anthropic(base_url=f"{proxy.url}/anthropic", api_key="k", max_retries=0, default_headers=headers)
    sub = anthropic.Anthropic(base_url=f"{proxy.url}/anthropic", api_key="k", max_retries=0,
                              default_headers=dict(headers, **{"x-claude-code-agent-id": "ab1dc19fb980eca3b"}))
    call = {"id": "toolu_agent1", "name": "Agent", "input": {"description": "Survey the repo", "prompt": "List the files and report.",
                                                             "subagent_type": "Explore", "run_in_background": False}}
    usage = anthropic_usage(input_tokens=1000, output_tokens=100)
    mock.enqueue(stream_reply(anthropic_stream_events(tool_use=call, start_usage=usage, final_usage=usage)))
    with main.messages.stream(model="claude-sonnet-4-5", max_tokens=50, messages=[{"role": "user", "content": "look around"}]) as s:
        s.get_final_message()
    sub.messages.create(model="claude-sonnet-4-5", max_tokens=50, messages=[{"role": "user", "content": "List the files and report."}])
    ask = "CRITICAL: Respond with TEXT ONLY. Do NOT call any tools.\n\nSummarise the conversation in <summary> tags."
    main.messages.create(model="claude-sonnet-4-5", max_tokens=50, messages=[{"role": "user", "content": "look around"},
                                                                                {"role": "assistant", "content": "Done."},
                                                                                {"role": "user", "content": [{"type": "text", "text": ask}]}])
    after = anthropic_usage(input_tokens=40, output_tokens=5, cache_5m=2000)
    mock.enqueue(json_reply(anthropic_message(usage=after)))
    main.messages.create(model="claude-sonnet-4-5", max_tokens=50, messages=[{"role": "user", "content": [{"type": "text", "text":
        "This session is being continued from a previous conversation that ran out of context. Summary: looked around."}]}])
    proxy.wait_exchange(count=4)
    browser.get(f"{proxy.url}/?token={proxy.token}")
    wait(browser, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#rows tr")) == 4)
    agents = [c.text for c in browser.find_elements(By.CSS_SELECTOR, "#rows td.agent")]
    assert agents == ["mainpost compaction", "maincompaction", "└ ab1dc19fb", "main"], agents  # the kind is a tag beside the agent
    wait(browser, lambda d: d.find_element(By.CSS_SELECTOR, f'#session option[value="{session}"]'))
    browser.execute_script(f"const s = document.getElementById('session'); s.value = '{session}'; s.dispatchEvent(new Event('change'));")
    panel = wait(browser, lambda d: d.find_element(By.ID, "agents-panel").is_displayed() and d.find_element(By.ID, "agents-panel"))
    # In the session's view the subagent's row is named by its type and the description it was given.
    wait(browser, lambda d: "└ Explore · Survey the repo" in [c.text for c in d.find_elements(By.CSS_SELECTOR, "#rows td.agent")])
    sub_row = panel.find_element(By.CSS_SELECTOR, '[data-agent="ab1dc19fb980eca3b"]').text
    assert "Explore" in sub_row and "Survey the repo" in sub_row and sub_row.endswith(" 1 12 5 $0.000111"), sub_row  # its one request, at the mock's default usage
    assert "1 compaction" in panel.find_element(By.CSS_SELECTOR, '[data-agent="main"]').text
    # The compaction's row: 12 tokens of context before (the mock's default), 2 040 after, 2 000 of them written to the cache
    # at $3.75 per MTok (claude-sonnet-4-5's 5-minute write).
    cells = [c.text for c in panel.find_elements(By.CSS_SELECTOR, ".compactions tr[data-compaction] td")]
    assert cells[1:] == ["main", "$0.000111", "12", "5", "2040", "2000 · $0.007500"], cells
    shot(browser, "agents")
    assert console_errors(browser) == []


def test_diff_and_summary_views(proxy, mock, browser):
    from selenium.webdriver.common.by import By
    session = "dash-session-1"
    client = anthropic.Anthropic(base_url=f"{proxy.url}/anthropic", api_key="k", max_retries=0,
                                 default_headers={"X-Claude-Code-Session-Id": session})
    system = [{"type": "text", "text": "You are an agent.", "cache_control": {"type": "ephemeral"}}]
    history = [{"role": "user", "content": "first question"}]
    client.messages.create(model="claude-sonnet-4-5", max_tokens=5, system=system, messages=history)
    history += [{"role": "assistant", "content": "Hello there!"}, {"role": "user", "content": "second question"}]
    client.messages.create(model="claude-sonnet-4-5", max_tokens=5, system=[{"type": "text", "text": "You are a different agent.", "cache_control": {"type": "ephemeral"}}], messages=history)
    proxy.wait_exchange(count=2)
    browser.get(f"{proxy.url}/?token={proxy.token}")
    wait(browser, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#rows tr")) == 2)
    click(browser, "#rows tr")
    wait(browser, lambda d: "Cost" in d.find_element(By.ID, "detail-body").text or "Tokens" in d.find_element(By.ID, "detail-body").text)
    click(browser, '#detail-tabs button[data-pane="diff"]')
    text = wait(browser, lambda d: "cache prefix" in d.find_element(By.ID, "detail-body").text and d.find_element(By.ID, "detail-body").text)
    assert "cache prefix broken" in text and "system block 1" in text
    assert "2 added" in text
    shot(browser, "diff")
    click(browser, '.bar .tabs button[data-view="summary"]')
    summary = wait(browser, lambda d: "claude-sonnet-4-5" in d.find_element(By.ID, "by-model").text and d.find_element(By.ID, "view-summary").text)
    assert "first question" in summary  # the session's title
    shot(browser, "summary")
    assert console_errors(browser) == []


def test_ten_thousand_exchanges_first_paint_under_a_second(mock, browser, tmp_path):
    from selenium.webdriver.common.by import By
    home = tmp_path / "home"
    bench = ROOT / ".build" / "debug" / "ccglass-bench"
    subprocess.run([str(bench), "seed", str(home), "big-session", "10000"], check=True, capture_output=True, timeout=300)
    proxy = Proxy(home, {"anthropic": mock.url})
    try:
        browser.get(f"{proxy.url}/?token={proxy.token}")
        first_paint = wait(browser, lambda d: d.execute_script("return window.ccglassFirstPaint"), timeout=10)
        rows = browser.find_elements(By.CSS_SELECTOR, "#rows tr")
        assert len(rows) == 200  # paged, not all 10,000
        assert first_paint < 1000, f"first paint after {first_paint:.0f} ms"
        click(browser, "#more")
        wait(browser, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#rows tr")) == 400)
        shot(browser, "ten-thousand")
        assert console_errors(browser) == []
    finally:
        proxy.stop()


def status(url, headers=None):
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}), timeout=5) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


def test_strangers_are_refused(proxy):
    token = proxy.token
    api = f"{proxy.url}/api/exchanges"
    assert status(api, {"Authorization": f"Bearer {token}"}) == 200
    assert status(api) == 401
    assert status(f"{proxy.url}/") == 401
    assert status(api, {"Authorization": "Bearer " + "0" * len(token)}) == 401
    assert status(api, {"Authorization": f"Bearer {token}", "Host": f"attacker.example:{proxy.port}"}) == 421
    assert status(api, {"Authorization": f"Bearer {token}", "Host": "127.0.0.1:1"}) == 421
    assert status(api, {"Authorization": f"Bearer {token}", "Origin": "https://evil.example"}) == 403
    assert status(api, {"Authorization": f"Bearer {token}", "Origin": f"http://localhost:{proxy.port}"}) == 200
    assert status(f"{proxy.url}/api/live", {"Cookie": f"ccglass_token_{proxy.port}=wrong"}) == 401
    assert status(f"{proxy.url}/api/health") == 200  # wrappers find ccglass without the token
    assert status(f"{proxy.url}/metrics") == 200
    assert oct((Path(proxy.home) / "token").stat().st_mode & 0o777) == "0o600"


def test_the_request_tab_shows_a_responses_conversation_from_the_servers_prompt(proxy, mock, browser):
    # No guessing in the page: items of the Responses API (reasoning, function_call and its output)
    # arrive normalised from the server and render as the conversation they are.
    from selenium.webdriver.common.by import By
    import openai
    client = openai.OpenAI(base_url=f"{proxy.url}/openai/v1", api_key="k", max_retries=0)
    client.responses.create(model="gpt-5", instructions="You are Codex.", input=[
        {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "list the files please"}]},
        {"type": "function_call", "call_id": "call_ls", "name": "shell", "arguments": "{\"command\":[\"ls\"]}"},
        {"type": "function_call_output", "call_id": "call_ls", "output": "alpha.txt beta.txt"},
    ], tools=[{"type": "function", "name": "shell", "parameters": {"type": "object"}}])
    proxy.wait_exchange(count=1)
    browser.get(f"{proxy.url}/?token={proxy.token}")
    wait(browser, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#rows tr")) == 1)
    click(browser, "#rows tr")
    click(browser, '#detail-tabs button[data-pane="request"]')
    text = wait(browser, lambda d: "alpha.txt beta.txt" in d.find_element(By.ID, "detail-body").text and d.find_element(By.ID, "detail-body").text)
    assert "You are Codex." in text and "Tools (1)" in text and "Messages (3)" in text
    assert "function_call shell" in text and "call_ls" in text and "list the files please" in text
    shot(browser, "detail-request-responses")
    assert console_errors(browser) == []


def test_the_diff_tab_judges_the_cache_by_the_earlier_requests_breakpoint(proxy, mock, browser):
    # The earlier request cached its system prompt only. The later one edits the first message and
    # moves its own breakpoint past it: nothing the earlier request cached changed, so the prefix is
    # intact, as the cache report says too.
    from selenium.webdriver.common.by import By
    session = "dash-session-breakpoint"
    client = anthropic.Anthropic(base_url=f"{proxy.url}/anthropic", api_key="k", max_retries=0,
                                 default_headers={"X-Claude-Code-Session-Id": session})
    system = [{"type": "text", "text": "You are an agent.", "cache_control": {"type": "ephemeral"}}]
    client.messages.create(model="claude-sonnet-4-5", max_tokens=5, system=system,
                           messages=[{"role": "user", "content": "first question"}])
    client.messages.create(model="claude-sonnet-4-5", max_tokens=5, system=[{"type": "text", "text": "You are an agent."}],
                           messages=[{"role": "user", "content": [{"type": "text", "text": "first question, edited",
                                                                    "cache_control": {"type": "ephemeral"}}]}])
    proxy.wait_exchange(count=2)
    browser.get(f"{proxy.url}/?token={proxy.token}")
    wait(browser, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#rows tr")) == 2)
    click(browser, "#rows tr")
    click(browser, '#detail-tabs button[data-pane="diff"]')
    text = wait(browser, lambda d: "cache prefix" in d.find_element(By.ID, "detail-body").text and d.find_element(By.ID, "detail-body").text)
    assert "cache prefix intact" in text and "1 unchanged" in text and "1 changed" in text
    assert console_errors(browser) == []


def test_a_tool_call_auto_mode_flagged_is_marked_on_its_row_its_session_and_its_detail(proxy, mock, browser):
    from selenium.webdriver.common.by import By
    session = "dash-auto-mode-1"
    headers = {"User-Agent": "claude-cli/2.1.332 (external, cli)", "X-Claude-Code-Session-Id": session}
    client = anthropic.Anthropic(base_url=f"{proxy.url}/anthropic", api_key="k", max_retries=0, default_headers=headers)
    call = {"id": "toolu_push", "name": "Bash", "input": {"command": "git push --force"}}
    verdicts = [{"type": "dangerous_tool_use", "status": {"type": "available", "tool_uses": {
        "toolu_push": {"type": "evaluated", "outcome": "flagged", "explanation": "Force-pushes over main"}}}}]
    mock.enqueue(stream_reply(anthropic_stream_events(tool_use=call, safeguard_results=verdicts)))
    with client.messages.stream(model="claude-sonnet-4-5", max_tokens=50, messages=[{"role": "user", "content": "push"}],
                                extra_body={"safeguards": [{"type": "dangerous_tool_use", "classifier_context": {"permission_mode": "auto"}}]}) as s:
        s.get_final_message()
    proxy.wait_exchange()
    browser.get(f"{proxy.url}/?token={proxy.token}")
    tag = wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#rows td.prompt .flagged"))[0]
    assert tag.text == "⚑ 1 flagged"
    wait(browser, lambda d: d.find_element(By.CSS_SELECTOR, f'#session option[value="{session}"]'))
    browser.execute_script(f"const s = document.getElementById('session'); s.value = '{session}'; s.dispatchEvent(new Event('change'));")
    wait(browser, lambda d: "1 tool call flagged by auto mode" in d.find_element(By.ID, "totals").text)
    click(browser, "#rows tr")
    wait(browser, lambda d: d.find_element(By.ID, "detail-body"))
    click(browser, '#detail-tabs button[data-pane="response"]')
    verdict = wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, '#detail-body [data-verdict="flagged"]'))[0]
    assert verdict.text == "⚑ flagged: not run (Force-pushes over main)"
    shot(browser, "auto-mode-flagged")
    assert console_errors(browser) == []
