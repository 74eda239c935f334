"""A client that shows what a proxy really did: exact request bytes out, raw (still encoded) body in."""
import http.client
import socket
import time


def request(url, method, path, headers, body=b"", timeout=30):
    """Sends exactly these headers (no Host or Accept-Encoding added) and returns
    (status, reason, headers, raw body bytes, error) with the body left as it came (compressed or not)."""
    host, port = url.replace("http://", "").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=timeout)
    conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
    names = {k.lower() for k, _ in headers}
    if "host" not in names:
        conn.putheader("Host", f"{host}:{port}")
    for k, v in headers:
        if k.lower() == "host":
            v = f"{host}:{port}"
        if k.lower() == "content-length":
            v = str(len(body))
        conn.putheader(k, v)
    if body and "content-length" not in names:
        conn.putheader("Content-Length", str(len(body)))
    conn.endheaders(body or None)
    response = conn.getresponse()
    data = b""
    error = None
    try:
        while True:
            piece = response.read1(65536)
            if not piece:
                break
            data += piece
    except (http.client.IncompleteRead, ConnectionError, socket.timeout) as e:
        error = e
    result = (response.status, response.reason, response.getheaders(), data, error)
    conn.close()
    return result


def stream_lines(url, path, headers, body):
    """Sends a request and yields (monotonic arrival time, line) for each line of a streamed body."""
    host, port = url.replace("http://", "").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    conn.request("POST", path, body=body, headers=dict(headers))
    response = conn.getresponse()
    while True:
        line = response.readline()
        if not line:
            break
        yield time.monotonic(), line
    conn.close()
