"""The console's plain-Python core: what it knows and decides, testable without a terminal or a cluster.

Nothing here imports textual, the kubernetes client or any other package of
ours (import-linter holds this, see pyproject.toml): state and its views, the
checklist, the plan, readiness, evidence, the ledger of what is busy and the
guard that says what may not start.
"""
