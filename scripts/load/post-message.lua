-- wrk script: a small Anthropic Messages request (non-streamed unless STREAM=1).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["x-api-key"] = "sk-load-test-not-a-key"
local stream = os.getenv("STREAM") == "1"
wrk.body = '{"model":"claude-sonnet-4-5","max_tokens":64,' .. (stream and '"stream":true,' or '') ..
           '"messages":[{"role":"user","content":"load"}]}'
