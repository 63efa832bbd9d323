"""Building a llama-index LLM from the settings: OpenAI-compatible, Ollama or a local GGUF."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from index.settings import NewsdeskSettings

if TYPE_CHECKING:
    from llama_index.core.llms import LLM


class BackendError(RuntimeError):
    """A backend that is configured but cannot be built (missing package, model or file)."""


def backend_label(settings: NewsdeskSettings) -> str:
    """How an Answer names its backend: "extractive", "openai-like:MODEL", "ollama:MODEL"..."""
    kind = settings.llm_backend
    if kind is None:
        return "extractive"
    if kind == "llama-cpp":
        return f"llama-cpp:{settings.llm_gguf.name if settings.llm_gguf else '?'}"
    return f"{kind}:{settings.llm_model or '?'}"


def backend_where(settings: NewsdeskSettings) -> str:
    """Where the configured LLM lives (URL or file), for the notes users read."""
    kind = settings.llm_backend
    if kind == "openai-like":
        return str(settings.llm_base_url)
    if kind == "ollama":
        return str(settings.ollama_url)
    return str(settings.llm_gguf)


def build_llm(settings: NewsdeskSettings) -> LLM:
    """The llama-index LLM the settings name; imports and loads only when called."""
    kind = settings.llm_backend
    if kind == "openai-like":
        return _openai_like(settings)
    if kind == "ollama":
        return _ollama(settings)
    if kind == "llama-cpp":
        return _llama_cpp(settings)
    raise BackendError("no LLM backend is configured")


def _openai_like(settings: NewsdeskSettings) -> LLM:
    try:
        from llama_index.llms.openai_like import OpenAILike
    except ImportError as exc:
        raise BackendError("the package llama-index-llms-openai-like is not installed") from exc
    if not settings.llm_model:
        raise BackendError("NEWSDESK_LLM_MODEL is not set (the model name the endpoint serves)")
    return OpenAILike(
        model=settings.llm_model,
        api_base=settings.llm_base_url,
        # Local servers (llama.cpp, vLLM, LM Studio) accept any key; the client insists on one.
        api_key=settings.llm_api_key or "not-needed",
        is_chat_model=True,
        is_function_calling_model=False,
        context_window=settings.llm_context_window,
        max_tokens=settings.llm_max_tokens,
        temperature=settings.llm_temperature,
        timeout=settings.llm_timeout_s,
        # A retry would multiply the wait past the deadline the user configured.
        max_retries=0,
    )


def _ollama(settings: NewsdeskSettings) -> LLM:
    try:
        from llama_index.llms.ollama import Ollama
    except ImportError as exc:
        raise BackendError("the package llama-index-llms-ollama is not installed") from exc
    if not settings.llm_model:
        raise BackendError("NEWSDESK_LLM_MODEL is not set (the Ollama model to use)")
    return Ollama(
        model=settings.llm_model,
        base_url=str(settings.ollama_url).rstrip("/"),
        request_timeout=settings.llm_timeout_s,
        context_window=settings.llm_context_window,
        temperature=settings.llm_temperature,
        additional_kwargs={
            "num_predict": settings.llm_max_tokens,
            # Ollama's default window (2048) silently truncates longer prompts from the front.
            "num_ctx": settings.llm_context_window,
        },
    )


def _llama_cpp(settings: NewsdeskSettings) -> LLM:
    try:
        from llama_index.llms.llama_cpp import LlamaCPP
    except ImportError as exc:
        raise BackendError(
            "llama-cpp-python is not installed (install newsdesk's [llm-local] extra)"
        ) from exc
    path = settings.llm_gguf
    if path is None or not path.is_file():
        raise BackendError(f"NEWSDESK_LLM_GGUF does not name a file: {path}")
    from llama_index.core.base.llms.types import ChatMessage

    # The GGUF carries its own chat template; llama-index's default prompt format is Llama 2's,
    # which small ChatML models (SmolLM2, Qwen) answer with noise. Filled in once loaded.
    template: dict[str, Any] = {}

    def to_prompt(messages: Sequence[ChatMessage]) -> str:
        turns = [{"role": m.role.value, "content": str(m.content or "")} for m in messages]
        fmt = template.get("formatter")
        if fmt is not None:
            return fmt(messages=turns).prompt
        text = "".join(f"<|im_start|>{t['role']}\n{t['content']}<|im_end|>\n" for t in turns)
        return text + "<|im_start|>assistant\n"

    llm = LlamaCPP(
        model_path=str(path),
        temperature=settings.llm_temperature,
        max_new_tokens=settings.llm_max_tokens,
        context_window=settings.llm_context_window,
        messages_to_prompt=to_prompt,
        completion_to_prompt=lambda text: to_prompt([ChatMessage(role="user", content=text)]),
        model_kwargs={"n_ctx": settings.llm_context_window},
        verbose=False,
    )
    model = llm._model
    jinja = model.metadata.get("tokenizer.chat_template")
    if jinja:
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        def token_text(token: int) -> str:
            return model._model.token_get_text(token) if token != -1 else ""

        eos, bos = token_text(model.token_eos()), token_text(model.token_bos())
        template["formatter"] = Jinja2ChatFormatter(template=jinja, eos_token=eos, bos_token=bos)
        if eos:
            llm.generate_kwargs["stop"] = [eos]
    return llm
