"""The environment newsdesk's processes run in: no hub, no telemetry, nothing from the network.

Called once at process entry (the `newsdesk` command, bench scripts, the test session). Library
calls do not depend on it: the model loads by path with local_files_only, Chroma and Gradio get
telemetry switched off in their own settings, tiktoken reads llama-index's bundled encoding.
These variables cover what those settings cannot reach (a library's own checks at import).
"""

from __future__ import annotations

import os


def set_offline_env() -> None:
    """Tell every library that could reach a hub or send telemetry not to."""
    for key, value in {
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "HF_HUB_DISABLE_TELEMETRY": "1",
        "ANONYMIZED_TELEMETRY": "False",
        "GRADIO_ANALYTICS_ENABLED": "False",
        "TOKENIZERS_PARALLELISM": "false",
    }.items():
        os.environ.setdefault(key, value)
