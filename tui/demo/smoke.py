"""The demo's smoke test: does a Service answer, as far as the sandbox can tell?

    python -m tui.demo.smoke --kubeconfig PATH --namespace production SERVICE

The sandbox simulates pods without a network, so nothing can be curled;
what it can honestly check is the control plane's view: the Service exists
and has ready endpoints (the endpoints controller lists only Ready pods as
ready). It prints one line per endpoint and exits 0, or says what is
missing and exits 1 (2: it could not ask).
`rollback-console demo` configures it as the smoke test of the components
that have a Service; a real config names a real check (curl, a test suite).
"""

from __future__ import annotations

import argparse
import sys

from kubernetes import client

from ..core.errors import ConsoleError
from ..core.validate import validate_name
from ..kube.config import connect
from ..kube.endpoints import ready_endpoints
from ..kube.errors import from_api_exception


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tui.demo.smoke", description=__doc__.splitlines()[0])
    parser.add_argument("--kubeconfig", required=True)
    parser.add_argument("--namespace", "-n", default="production")
    parser.add_argument("service")
    args = parser.parse_args(argv)
    try:
        validate_name(args.service)
        target = connect(args.kubeconfig, namespace=args.namespace)
        core = client.CoreV1Api(target.api)
        doing = f"reading service/{args.service}"
        try:
            core.read_namespaced_service(args.service, target.namespace, _request_timeout=10)
        except Exception as exc:  # noqa: BLE001 - said as one sentence
            raise from_api_exception(exc, doing) from None
        ready = ready_endpoints(target.api, target.namespace, args.service, doing)
    except ConsoleError as err:
        print(f"smoke: {err.message}", file=sys.stderr)
        return 2
    if not ready:
        print(f"smoke: service/{args.service} has no ready endpoints: nothing would answer.")
        return 1
    for address in ready:
        print(f"smoke: service/{args.service} → {address} ready")
    print(f"smoke: service/{args.service} OK ({len(ready)} ready endpoint{'s' if len(ready) != 1 else ''})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
