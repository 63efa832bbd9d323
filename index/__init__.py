"""Turning articles into a searchable index: loading, cleaning, chunking, embedding, storing."""
