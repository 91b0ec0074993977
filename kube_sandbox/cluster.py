"""A whole sandbox cluster: storage, API, controllers, seed, and its server."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from aiohttp import web

from .api import Api
from .clock import ManualClock
from .controllers.analysis import AnalysisRunController
from .controllers.base import Context, ControllerManager
from .controllers.deployment import DeploymentController
from .controllers.disruption import DisruptionController
from .controllers.endpoints import EndpointsController
from .controllers.event_ttl import EventTTLController
from .controllers.gc import GarbageCollector
from .controllers.job import JobController
from .controllers.kubelet import Kubelet
from .controllers.replicaset import ReplicaSetController
from .controllers.rollout import RolloutController
from .controllers.scheduler import Scheduler
from .metrics import Metrics
from .seeds import SEEDS, seed_eli_maor, seed_eli_maor_canary, seed_system
from .server import SandboxServer
from .service_proxy import ServiceProxy, Upstream, create_service
from .store import Storage

# The seed's history is played out in simulated time ending about now.
HISTORY_START = 9 * 86400.0
SETTLE_HORIZON = 900.0  # simulated seconds a seeded rollout may take to settle


class Sandbox:
    def __init__(self, seed: str = "empty", *, history_window: int = 20000, now: float | None = None):
        if seed not in SEEDS:
            raise ValueError(f"unknown seed {seed!r}; choose one of: {', '.join(SEEDS)}")
        wall = time.time() if now is None else now
        self.clock = ManualClock(wall - HISTORY_START)
        self.storage = Storage(window=history_window)
        self.api = Api(self.storage, self.clock)
        ctx = Context(self.api, self.clock)
        self.kubelet = Kubelet(ctx)
        self.analysis = AnalysisRunController(ctx)
        self.manager = ControllerManager(
            ctx,
            [
                GarbageCollector(ctx),
                DeploymentController(ctx),
                RolloutController(ctx),
                self.analysis,
                ReplicaSetController(ctx),
                JobController(ctx),
                Scheduler(ctx, nodes=self.kubelet.nodes),
                self.kubelet,
                EndpointsController(ctx),
                DisruptionController(ctx),
                EventTTLController(ctx),
            ],
        )
        seed_system(self.api)
        self.settle()
        if seed == "eli-maor":
            seed_eli_maor(self.api, self.clock, self.settle, self.advance, wall)
        elif seed == "eli-maor-canary":
            seed_eli_maor_canary(self.api, self.clock, self.settle, self.advance, wall)
        self.advance(max(0.0, wall - self.clock.now()))

    def settle(self) -> None:
        self.manager.run_until_idle(SETTLE_HORIZON)

    def advance(self, seconds: float) -> None:
        self.clock.advance(seconds)
        self.settle()

    def go_live(self, speed: float, loop: asyncio.AbstractEventLoop) -> None:
        self.clock.go_live(speed, loop)

    def logs(self, namespace: str, pod: str, container: str, tail_lines: int | None, previous: bool) -> str:
        return self.kubelet.logs(namespace, pod, container, tail_lines=tail_lines, previous=previous)


@dataclass
class Running:
    """A sandbox served over HTTP on the current event loop."""

    sandbox: Sandbox
    runner: web.AppRunner
    url: str
    proxy: ServiceProxy

    async def stop(self) -> None:
        await self.runner.cleanup()
        await self.proxy.close()
        self.sandbox.manager.stop()
        self.sandbox.analysis.close()


async def start(sandbox: Sandbox, host: str = "127.0.0.1", port: int = 0, speed: float = 1.0,
                service_proxies: tuple[Upstream, ...] = ()) -> Running:
    """Serve `sandbox` and set its clock running at `speed`; `service_proxies` become Services proxied to them."""
    for upstream in service_proxies:
        create_service(sandbox.api, upstream)
    sandbox.analysis.upstreams = tuple(service_proxies)  # AnalysisRuns reach Prometheus through them
    proxy = ServiceProxy(sandbox.api, list(service_proxies))
    server = SandboxServer(sandbox.api, sandbox.clock, logs=sandbox.logs, metrics=Metrics(sandbox.storage, sandbox.clock),
                           proxy=proxy)
    runner = web.AppRunner(server.app, access_log=None, shutdown_timeout=1.0)
    await runner.setup()
    site = web.TCPSite(runner, host, port, reuse_address=True)
    await site.start()
    sock = site._server.sockets[0]  # the port actually bound when asked for 0
    bound_host, bound_port = sock.getsockname()[:2]
    server.address = f"{bound_host}:{bound_port}"
    url_host = f"[{bound_host}]" if ":" in bound_host else bound_host
    sandbox.go_live(speed, asyncio.get_running_loop())
    return Running(sandbox, runner, f"http://{url_host}:{bound_port}", proxy)
