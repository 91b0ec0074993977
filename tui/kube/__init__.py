"""Kubernetes side of the console: kubeconfig to client, watchers, workload adapters.

Plain Python, no Textual: the UI calls these from worker threads.
"""
