"""The browser chat: presents what the assistant returns, nothing more."""
