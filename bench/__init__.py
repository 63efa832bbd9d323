"""Benchmarks of newsdesk: a synthetic news corpus and throughput/quality measurements."""
