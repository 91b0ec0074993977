"""Workload kinds: one small protocol per concern, one adapter per kind, one registry.

As kubectl's polymorphichelpers (RollbackerFor, HistoryViewerFor,
StatusViewerFor) and k9s's dao capability interfaces (Scalable,
Restartable): the console asks the registry for a kind's adapter and then
whether it can do a thing, never "is this a Deployment".
"""
