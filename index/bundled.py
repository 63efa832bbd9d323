"""Data that ships inside installed packages, so nothing is downloaded: llama-index-core's copies
of tiktoken's cl100k_base encoding and NLTK's Punkt model and stopword list."""

from __future__ import annotations

import importlib.util
from functools import lru_cache
from pathlib import Path


@lru_cache(maxsize=1)
def llama_static() -> Path:
    """llama-index-core's `_static` folder (tiktoken_cache/, nltk_cache/)."""
    spec = importlib.util.find_spec("llama_index.core")
    if spec is None or spec.origin is None:
        raise RuntimeError("llama-index-core is not installed (make install)")
    return Path(spec.origin).parent / "_static"


@lru_cache(maxsize=1)
def cl100k_encoding():
    """tiktoken's cl100k_base, built from the file llama-index ships rather than downloaded."""
    import tiktoken
    from tiktoken.load import load_tiktoken_bpe
    from tiktoken_ext import openai_public as spec

    # tiktoken.get_encoding would fetch the file unless TIKTOKEN_CACHE_DIR points at this cache;
    # setting that variable from library code changes the process for everyone, so the
    # encoding is built from the file here. Its name in the cache is the sha1 of its URL.
    url = "https://openaipublic.blob.core.windows.net/encodings/cl100k_base.tiktoken"
    import hashlib

    path = llama_static() / "tiktoken_cache" / hashlib.sha1(url.encode()).hexdigest()
    ranks = load_tiktoken_bpe(
        str(path),
        expected_hash="223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
    )
    return tiktoken.Encoding(
        name="cl100k_base",
        # cl100k_base's split pattern and special tokens, as tiktoken_ext.openai_public has them.
        pat_str=CL100K_PATTERN,
        mergeable_ranks=ranks,
        special_tokens={
            spec.ENDOFTEXT: 100257,
            spec.FIM_PREFIX: 100258,
            spec.FIM_MIDDLE: 100259,
            spec.FIM_SUFFIX: 100260,
            spec.ENDOFPROMPT: 100276,
        },
    )


CL100K_PATTERN = (
    r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+"""
    r"""|\s++$|\s*[\r\n]|\s+(?!\S)|\s"""
)
