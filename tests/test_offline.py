"""Nothing reaches the network, and library calls do not rely on the process environment: a
fresh Python process with no HF_*/telemetry/tiktoken variables indexes, answers and builds the
chat page through the Python API while every non-loopback connection is refused and recorded."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from conftest import ROOT

SCRIPT = r"""
import json, socket, sys

attempts = []
real_connect = socket.socket.connect
real_getaddrinfo = socket.getaddrinfo

def _host(address):
    return address[0] if isinstance(address, tuple) else str(address)

def _local(host):
    return host in ("localhost", "127.0.0.1", "::1", "") or str(host).startswith("127.")

def connect(self, address):
    if self.family in (socket.AF_INET, socket.AF_INET6) and not _local(_host(address)):
        attempts.append(f"connect {address}")
        raise OSError("network refused by test")
    return real_connect(self, address)

def getaddrinfo(host, *args, **kwargs):
    if not _local(host):
        attempts.append(f"resolve {host}")
        raise socket.gaierror("network refused by test")
    return real_getaddrinfo(host, *args, **kwargs)

socket.socket.connect = connect
socket.getaddrinfo = getaddrinfo

from pathlib import Path
from assistant import Assistant
from assistant.settings import NewsdeskSettings
from index import Indexer

index_dir, cache = Path(sys.argv[1]), Path(sys.argv[2])
settings = NewsdeskSettings(index_dir=index_dir, model_cache_dir=cache)
report = Indexer(settings).run([Path(sys.argv[3])], progress=False)
answer = Assistant(settings).ask("Who visited Kursk and when?")
from ui.app import build
build(settings)
print(json.dumps({"attempts": attempts, "added": report.added, "text": answer.text}))
"""


def test_index_ask_and_chat_page_make_no_network_call_without_env(tmp_path: Path) -> None:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("HF_", "TRANSFORMERS_", "TIKTOKEN", "NEWSDESK_", "GRADIO_"))
        and k not in ("ANONYMIZED_TELEMETRY", "TOKENIZERS_PARALLELISM")
    }
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            SCRIPT,
            str(tmp_path / "index"),
            str(tmp_path / "cache"),
            str(ROOT / "seeds"),
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["attempts"] == []
    assert result["added"] == 1
    assert "Vladimir Putin" in result["text"]
