"""LLM backends: each builds a llama-index LLM from the settings. Registered as plugins (entry
point group newsdesk.llm_backends): an OpenAI-compatible endpoint, Ollama, a local GGUF file,
and whatever other packages add."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol

from assistant.settings import LLMSettings
from index.plugins import LLM_BACKENDS, PluginError, load

if TYPE_CHECKING:
    from llama_index.core.llms import LLM


class BackendError(RuntimeError):
    """A backend that is configured but cannot be built (missing package, model or file)."""


class LLMBackend(Protocol):
    """Builds the LLM a generative answer is written with."""

    def label(self, settings: LLMSettings) -> str:
        """How an Answer names the model ("ollama:llama3.2")."""
        ...

    def where(self, settings: LLMSettings) -> str:
        """Where the model lives (a URL or a file), for the notes users read."""
        ...

    def build(self, settings: LLMSettings) -> LLM:
        """The llama-index LLM; imports and loads only when called. Raises BackendError."""
        ...


def configured_backend(settings: LLMSettings) -> LLMBackend | None:
    """The backend the settings choose, or None for extractive answers only."""
    name = settings.llm_backend_name
    if name is None:
        return None
    try:
        registered = load(LLM_BACKENDS, name)
    except PluginError as exc:
        raise BackendError(str(exc)) from exc
    return registered() if isinstance(registered, type) else registered


def backend_label(settings: LLMSettings) -> str:
    """How an Answer names its backend: "extractive", "openai-like:MODEL", "ollama:MODEL"..."""
    name = settings.llm_backend_name
    if name is None:
        return "extractive"
    try:
        backend = configured_backend(settings)
    except BackendError:
        return f"{name}:{settings.llm_model or '?'}"
    assert backend is not None
    return backend.label(settings)


def backend_where(settings: LLMSettings) -> str:
    """Where the configured LLM lives (URL or file), for the notes users read."""
    try:
        backend = configured_backend(settings)
    except BackendError:
        backend = None
    return backend.where(settings) if backend else str(settings.llm_backend_name)


def build_llm(settings: LLMSettings) -> LLM:
    """The llama-index LLM the settings name; imports and loads only when called."""
    backend = configured_backend(settings)
    if backend is None:
        raise BackendError("no LLM backend is configured")
    return backend.build(settings)


class _ModelLabel:
    """Backends named by a model on a server: label "name:model", where = the server URL."""

    name = ""
    url_field = ""

    def label(self, settings: LLMSettings) -> str:
        """The backend's name and model."""
        return f"{self.name}:{settings.llm_model or '?'}"

    def where(self, settings: LLMSettings) -> str:
        """The server's URL."""
        return str(getattr(settings, self.url_field))


class OpenAILikeBackend(_ModelLabel):
    """Any server speaking OpenAI's chat completions API (llama.cpp, vLLM, LM Studio, OpenAI)."""

    name = "openai-like"
    url_field = "llm_base_url"

    def build(self, settings: LLMSettings) -> LLM:
        """An OpenAILike client for NEWSDESK_LLM_BASE_URL and NEWSDESK_LLM_MODEL."""
        return _openai_like(settings)


class OllamaBackend(_ModelLabel):
    """An Ollama server (NEWSDESK_OLLAMA_URL)."""

    name = "ollama"
    url_field = "ollama_url"

    def build(self, settings: LLMSettings) -> LLM:
        """An Ollama client for NEWSDESK_OLLAMA_URL and NEWSDESK_LLM_MODEL."""
        return _ollama(settings)


class LlamaCppBackend:
    """A GGUF model file run in-process by llama-cpp-python (NEWSDESK_LLM_GGUF)."""

    name = "llama-cpp"

    def label(self, settings: LLMSettings) -> str:
        """The label: llama-cpp and the file name."""
        return f"llama-cpp:{settings.llm_gguf.name if settings.llm_gguf else '?'}"

    def where(self, settings: LLMSettings) -> str:
        """The GGUF file."""
        return str(settings.llm_gguf)

    def build(self, settings: LLMSettings) -> LLM:
        """A LlamaCPP model loaded from the file, with the chat template it carries."""
        return _llama_cpp(settings)


def _client(module: str, name: str, package: str, settings: LLMSettings, model: str) -> Any:
    """A llama-index LLM class from its integration package, once the model is named."""
    import importlib

    try:
        cls = getattr(importlib.import_module(module), name)
    except ImportError as exc:
        raise BackendError(f"the package {package} is not installed") from exc
    if not settings.llm_model:
        raise BackendError(f"NEWSDESK_LLM_MODEL is not set ({model})")
    return cls


def _openai_like(settings: LLMSettings) -> LLM:
    OpenAILike = _client(
        "llama_index.llms.openai_like",
        "OpenAILike",
        "llama-index-llms-openai-like",
        settings,
        "the model name the endpoint serves",
    )
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


def _ollama(settings: LLMSettings) -> LLM:
    Ollama = _client(
        "llama_index.llms.ollama",
        "Ollama",
        "llama-index-llms-ollama",
        settings,
        "the Ollama model to use",
    )
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


def _llama_cpp(settings: LLMSettings) -> LLM:
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
