"""The real download path, against a local HTTP server on 127.0.0.1."""
from __future__ import annotations

import hashlib
import re
import http.server
import threading

import pytest

from course_utils import data
from course_utils.data import DataError, load_imdb

pytestmark = pytest.mark.network


class _Handler(http.server.BaseHTTPRequestHandler):
    payload = b""
    cut_after: int | None = None

    def log_message(self, *args):  # keep test output quiet
        pass

    def do_GET(self):
        if self.path != "/aclImdb_v1.tar.gz":
            self.send_error(404, "Not Found")
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(self.payload)))
        self.end_headers()
        body = self.payload if self.cut_after is None else self.payload[: self.cut_after]
        self.wfile.write(body)
        self.wfile.flush()
        if self.cut_after is not None:
            self.close_connection = True


@pytest.fixture
def server(synthetic_archive):
    handler = type("Handler", (_Handler,), {"payload": synthetic_archive.read_bytes(), "cut_after": None})
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    httpd.base = f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.handler = handler
    httpd.sha256 = hashlib.sha256(handler.payload).hexdigest()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def _files(folder):
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_download_with_the_right_checksum_then_load_from_cache(isolated, server, monkeypatch):
    imdb = load_imdb(url=f"{server.base}/aclImdb_v1.tar.gz", sha256=server.sha256)
    assert len(imdb.train) == 40
    assert (isolated / "aclImdb_v1.tar.gz").read_bytes() == server.handler.payload
    monkeypatch.setattr(data, "download", lambda *a, **k: pytest.fail("downloaded twice"))
    assert len(load_imdb(url=f"{server.base}/aclImdb_v1.tar.gz", sha256=server.sha256).test) == 40


def test_wrong_checksum_is_rejected_and_leaves_nothing(isolated, server):
    with pytest.raises(DataError, match=r"SHA-256 [0-9a-f]{64}, expected 0{64}.*discarded"):
        load_imdb(url=f"{server.base}/aclImdb_v1.tar.gz", sha256="0" * 64)
    assert _files(isolated) == []


def test_http_404(isolated, server):
    with pytest.raises(DataError, match="HTTP 404"):
        data.download(f"{server.base}/missing.tar.gz", isolated / "x.tar.gz", sha256=None)
    assert _files(isolated) == []


def test_connection_cut_mid_file_leaves_no_partial_file(isolated, server):
    server.handler.cut_after = len(server.handler.payload) // 3
    with pytest.raises(DataError, match="cut off|IncompleteRead"):
        data.download(f"{server.base}/aclImdb_v1.tar.gz", isolated / "aclImdb_v1.tar.gz",
                      sha256=server.sha256)
    assert _files(isolated) == []


def test_official_url_and_checksum_are_the_documented_ones():
    from course_utils import config
    assert config.IMDB_URL == "https://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz"
    assert config.IMDB_SHA256 == "c40f74a18d3b61f90feba1e17730e0d38e8b97c05fde7008942e91923d1658fe"


def test_a_mirror_in_imdb_url_is_used_and_its_checksum_still_checked(isolated, server, monkeypatch):
    monkeypatch.setenv("IMDB_URL", f"{server.base}/aclImdb_v1.tar.gz")
    assert len(load_imdb(sha256=server.sha256).train) == 40
    (isolated / "aclImdb_v1.tar.gz").unlink()
    for cached in isolated.glob("*.parquet"):
        cached.unlink()
    with pytest.raises(DataError, match=f"(?s){server.base}/aclImdb_v1.tar.gz has SHA-256 .* expected c40f74a1"):
        load_imdb()


class _NoLength(_Handler):
    """Answers without a Content-Length header (the body ends when the connection closes)."""

    def do_GET(self):
        self.send_response(200)
        self.end_headers()
        self.wfile.write(self.payload)


@pytest.fixture
def big_server():
    payload = bytes(range(256)) * 6000  # 1.5 MB: more than one read of 1 MiB
    servers = []
    for handler in (type("Sized", (_Handler,), {"payload": payload}), type("Unsized", (_NoLength,), {"payload": payload})):
        httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
        servers.append(f"http://127.0.0.1:{httpd.server_address[1]}/aclImdb_v1.tar.gz")
        servers.append(httpd)
    yield payload, servers[0], servers[2]
    for httpd in servers[1::2]:
        httpd.shutdown()
        httpd.server_close()


def test_large_and_unsized_downloads_arrive_whole_with_a_byte_progress_bar(isolated, big_server, capsys, monkeypatch):
    payload, sized, unsized = big_server
    timeouts = []
    real = data.urllib.request.urlopen
    monkeypatch.setattr(data.urllib.request, "urlopen", lambda url, **kw: timeouts.append(kw.get("timeout")) or real(url, **kw))
    target = data.download(sized, isolated / "big.tar.gz", sha256=hashlib.sha256(payload).hexdigest(), progress=True)
    assert target.read_bytes() == payload
    bar = capsys.readouterr().err
    assert "Downloading big.tar.gz: 100%" in bar and "1.54M/1.54M" in bar, bar[-300:]  # bytes, scaled
    assert re.search(r"[0-9.]+[kMG]B/s", bar), bar[-300:]
    assert data.download(unsized, isolated / "u.tar.gz", sha256=None, timeout=5).read_bytes() == payload
    assert timeouts == [60, 5], "a stalled server cannot hang the notebook: 60 s by default"


def test_a_download_follows_the_progress_argument_and_caches_the_parsed_reviews(isolated, server, capsys,
                                                                               monkeypatch):
    monkeypatch.delenv("COURSE_PROGRESS", raising=False)   # bars on unless asked otherwise
    load_imdb(url=f"{server.base}/aclImdb_v1.tar.gz", sha256=server.sha256, progress=False)
    assert capsys.readouterr().err == ""
    assert _files(isolated)[0] == "aclImdb_v1.tar.gz" and re.fullmatch(r"imdb-reviews-\w+\.parquet",
                                                                       _files(isolated)[1])
    for name in _files(isolated):
        (isolated / name).unlink()
    load_imdb(url=f"{server.base}/aclImdb_v1.tar.gz", sha256=server.sha256, progress=True)
    err = capsys.readouterr().err
    assert "Downloading aclImdb_v1.tar.gz" in err and "Reading reviews" in err
