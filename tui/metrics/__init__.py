"""Prometheus: where it is (directly or through the API server's service proxy) and its HTTP API, async."""
