"""ONNX copies of the embedding model, so encoding needs no torch: fp32 and int8.

Importing sentence-transformers (torch, transformers) takes ~5 s here, most of a cold
`newsdesk ask`; onnxruntime and tokenizers load in ~0.3 s and give the same vectors (cosine
1.0 to the torch model, fp32). The fp32 copy is exported from the sha256-checked weights (torch,
once per machine) and the int8 copy quantized from it; both are named after the weights' hash.
"""

from __future__ import annotations

import logging
import os
import uuid
from pathlib import Path

from index.embedding import MODEL_SHA256, model_dir, verify_model

# The torch model's max_seq_length, in word pieces.
MAX_TOKENS = 256


def onnx_path(cache_dir: Path) -> Path:
    """Where the ONNX copy of the model lives (named after the weights' hash)."""
    return cache_dir / f"minilm-{MODEL_SHA256[:16]}.onnx"


def int8_path(cache_dir: Path) -> Path:
    """Where the int8 copy of the model lives (named after the weights' hash and the variant)."""
    return cache_dir / f"minilm-{MODEL_SHA256[:16]}-int8-matmul-pc.onnx"


def ensure_model(cache_dir: Path, variant: str) -> Path:
    """The ONNX file of a variant ("onnx": fp32, "int8"), made first if it is not there."""
    return quantize_int8(cache_dir) if variant == "int8" else export_onnx(cache_dir)


def export_onnx(cache_dir: Path) -> Path:
    """Export the model (mean pooling and normalisation included) to ONNX, once per machine."""
    dest = onnx_path(cache_dir)
    if dest.is_file():
        return dest
    import torch
    from transformers import AutoModel
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    hf_logging.set_verbosity_error()
    path = model_dir()
    verify_model(path)
    model = AutoModel.from_pretrained(str(path), local_files_only=True).eval()

    class Pooled(torch.nn.Module):
        """The sentence-transformers pipeline of this model: mean pooling, then L2 norm."""

        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, ids, mask, types):
            hidden = self.model(input_ids=ids, attention_mask=mask, token_type_ids=types)
            hidden = hidden.last_hidden_state
            summed = (hidden * mask.unsqueeze(-1)).sum(1)
            mean = summed / mask.sum(1, keepdim=True).clamp(min=1e-9)
            return torch.nn.functional.normalize(mean, p=2, dim=1)

    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_suffix(f".{uuid.uuid4().hex}.tmp")
    ids = torch.ones((2, 8), dtype=torch.long)
    axes = {0: "batch", 1: "tokens"}
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            Pooled(),
            (ids, ids, torch.zeros_like(ids)),
            str(tmp),
            input_names=["input_ids", "attention_mask", "token_type_ids"],
            output_names=["embedding"],
            dynamic_axes={
                "input_ids": axes,
                "attention_mask": axes,
                "token_type_ids": axes,
                "embedding": {0: "batch"},
            },
            opset_version=17,
            dynamo=False,
        )
    os.replace(tmp, dest)  # readers never see a half-written model
    return dest


def quantize_int8(cache_dir: Path) -> Path:
    """Quantize the fp32 copy to int8 weights, once per machine (no torch when it exists)."""
    dest = int8_path(cache_dir)
    if dest.is_file():
        return dest
    source = export_onnx(cache_dir)
    from onnxruntime.quantization import QuantType, quantize_dynamic

    tmp = dest.with_suffix(f".{uuid.uuid4().hex}.tmp")
    # MatMul weights only, signed, one scale per output channel: on 400 news-dev chunks
    # (bench/RESULTS.md, "ONNX encoders") it encodes ~2x the fp32 copy (2.3x torch) at
    # cosine 0.994 to the torch vectors. One scale per tensor was as fast but fell to cosine 0.948; unsigned
    # weights kept 0.994 but were no faster than fp32 (this CPU's VNNI int8 path takes signed
    # weights); ORT's BERT fusions or quant_pre_process before quantizing changed neither
    # speed nor cosine; every op quantized was slower than fp32 (cosine 0.95).
    quiet = _DropRecords()
    logging.getLogger().addFilter(quiet)  # it advises pre-processing on the root logger
    try:
        quantize_dynamic(
            source,
            tmp,
            per_channel=True,
            op_types_to_quantize=["MatMul"],
            weight_type=QuantType.QInt8,
        )
    finally:
        logging.getLogger().removeFilter(quiet)
    os.replace(tmp, dest)  # readers never see a half-written model
    return dest


class _DropRecords(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.ERROR
