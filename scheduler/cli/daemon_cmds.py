"""Commands that publish: run and demo."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from scheduler.cli.common import campaign_paths, open_ledger, redact, settings_from

if TYPE_CHECKING:
    from scheduler.daemon.base import DaemonOptions
    from scheduler.daemon.metrics import DaemonMetrics, MetricsServer
    from scheduler.log import EventSink
    from scheduler.metrics import Checkable
    from scheduler.settings import Settings


def cmd_run(args: argparse.Namespace) -> int:
    from scheduler.clock import SystemClock
    from scheduler.credentials import CredentialStore
    from scheduler.daemon.base import DaemonOptions
    from scheduler.daemon.gate import LedgerGate, account_quotas
    from scheduler.daemon.metrics import DaemonMetrics, MetricsSink
    from scheduler.daemon.report import Reporter
    from scheduler.daemon.runner import Daemon
    from scheduler.daemon.source import CampaignFiles
    from scheduler.log import EventLog
    from scheduler.notify import FanOut, notifiers_from_env
    from scheduler.platforms import renewal

    settings = settings_from(args)
    clock = SystemClock()
    metrics = DaemonMetrics()
    log = MetricsSink(EventLog(sys.stderr, json_lines=args.log_json, clock=clock), metrics)
    # Loaded apart: the loading's high-water mark stays out of the long-running process.
    source = CampaignFiles(campaign_paths(args.paths), apart=True)
    # The flag can only switch stopping on: without it, SCHEDULER_DAEMON_EXIT_WHEN_DONE decides.
    options = DaemonOptions.from_env(settings.env)
    if args.exit_when_done:
        options = replace(options, exit_when_done=True)
    notifiers = notifiers_from_env(settings.env)
    reporter = Reporter(log, FanOut(notifiers) if notifiers else None)
    credentials = CredentialStore(settings.env, settings.secrets_file)
    holder: list[Any] = []

    def spec_of(campaign: str, account: str) -> Any:
        return holder[0].campaigns[campaign].accounts[account]

    def named(account: str) -> Any:
        # The first campaign naming the account: its settings pick its quotas.
        found = (loaded.accounts.get(account) for loaded in holder[0].campaigns.values())
        return next((spec for spec in found if spec is not None), None)

    ledger = open_ledger(settings, clock, connections=options.ledger_connections)
    metrics.watch_ledger(ledger, clock)
    gate = LedgerGate(ledger, clock, quotas=account_quotas(named), reporter=reporter)
    context = platform_context(
        settings, clock, credentials, sandbox=args.sandbox, timeout=options.http_timeout, gate=gate
    )
    state_dir = context.state_dir
    publisher_for = publisher_factory(
        settings,
        clock,
        credentials,
        sandbox=args.sandbox,
        timeout=options.http_timeout,
        gate=gate,
    )(spec_of)
    daemon = Daemon(
        ledger,
        source,
        metrics.timed(publisher_for),
        clock=clock,
        options=options,
        reporter=reporter,
        gate=gate,
        bind_destinations=not args.sandbox,  # a rehearsal sends nothing anywhere
        # The renewed token's expiry where the daemon renewed it, else the credentials'.
        expiry_of=lambda name: renewal.expiry(credentials, state_dir, name),
        # A rehearsal sends nothing anywhere, so it renews nothing either.
        tokens=None if args.sandbox else token_keeper(context, reporter),
    )
    holder.append(daemon)
    server = metrics_server(options, metrics, ledger, log)
    try:
        return daemon.run()
    finally:
        if server is not None:
            server.close()
        ledger.close()


def metrics_server(
    options: DaemonOptions, metrics: DaemonMetrics, ledger: Checkable, log: EventSink
) -> MetricsServer | None:
    """Serve /healthz and /metrics when SCHEDULER_DAEMON_METRICS_PORT is set."""
    if options.metrics_port is None:
        return None
    from scheduler.daemon.metrics import MetricsServer
    from scheduler.errors import ConfigError

    try:
        server = MetricsServer(options.metrics_host, options.metrics_port, metrics.registry, ledger)
    except OSError as exc:
        where = f"{options.metrics_host}:{options.metrics_port}"
        raise ConfigError(
            f"cannot serve metrics on {where}: {exc.strerror or exc}",
            hint="choose another SCHEDULER_DAEMON_METRICS_PORT, or unset it",
        ) from exc
    log.event("metrics", host=options.metrics_host, port=server.port)
    return server.start()


def cmd_demo(args: argparse.Namespace) -> int:
    import tempfile
    import threading
    from pathlib import Path

    from scheduler import demo
    from scheduler.clock import SystemClock
    from scheduler.credentials import CredentialStore
    from scheduler.daemon.base import DaemonOptions
    from scheduler.daemon.gate import LedgerGate
    from scheduler.daemon.report import Reporter
    from scheduler.daemon.retry import RetryPolicy
    from scheduler.daemon.runner import Daemon
    from scheduler.daemon.source import CampaignFiles
    from scheduler.daemon.status import build
    from scheduler.log import EventLog
    from scheduler.settings import Settings

    clock = SystemClock()
    folder = Path(tempfile.mkdtemp(prefix="scheduler-demo-"))
    campaign_id = f"demo-{clock.now().strftime('%Y%m%d-%H%M%S')}"
    # The demo's ledger is its own unless one is named, so a demo never mixes with real work.
    settings = Settings.load(
        ledger=args.ledger or str(folder / "demo-ledger.sqlite3"), outbox=args.outbox
    )
    path = demo.write_demo_campaign(folder / "campaign", campaign_id)
    demo.intro(sys.stdout, campaign_id=campaign_id, folder=path.parent, outbox=settings.outbox)
    options = DaemonOptions(
        sweep_interval=0.5,
        reload_interval=1.0,
        remind_ahead=2.0,
        lease=30.0,
        grace=10.0,
        exit_when_done=True,
        retry=RetryPolicy(base=2.0, factor=2.0, cap=10.0, jitter=0.2),
    )
    log_path = folder / "daemon.log"
    ledger = open_ledger(settings, clock, connections=options.ledger_connections)
    try:
        with open(log_path, "w", encoding="utf-8") as log_file:
            progress = demo.Progress(sys.stdout, EventLog(log_file, clock=clock), clock)
            source = demo.DemoSource(CampaignFiles([path]), clock.now())
            loaded = source.load()
            demo.approve_for_demo(ledger, loaded, clock.now())
            specs = {(c.campaign_id, name): s for c in loaded for name, s in c.accounts.items()}
            reporter = Reporter(progress)
            gate = LedgerGate(ledger, clock, reporter=reporter)
            publisher_for = publisher_factory(
                settings, clock, CredentialStore({}, None), sandbox=True, gate=gate
            )(lambda campaign, account: demo.rehearsal_spec(specs[(campaign, account)]))
            daemon = Daemon(
                ledger,
                source,
                publisher_for,
                clock=clock,
                options=options,
                reporter=reporter,
                gate=gate,
                bind_destinations=False,  # a rehearsal: nothing leaves the machine
            )
            # A safety net: the demo never runs for more than a minute and a half.
            timer = threading.Timer(90.0, daemon.request_stop)
            timer.daemon = True
            timer.start()
            try:
                daemon.run()
            finally:
                timer.cancel()
            report = build(
                ledger.list(campaign=campaign_id),
                now=clock.now(),
                max_lateness=options.max_lateness,
                thread_completion=options.thread_completion,
            )
    finally:
        ledger.close()
    code = demo.summary(report, sys.stdout, settings.outbox)
    print(f"DEMO: the daemon's full log: {log_path}; its ledger: {redact(settings.ledger)}")
    return code


def same_destination(draft: Any, spec: Any) -> None:
    """DestinationHeld when the files now send the account elsewhere than the draft was
    approved for (a change the ledger could not apply, as to a thread already started)."""
    from scheduler.descriptors import destination_of
    from scheduler.errors import DestinationHeld

    approved = draft.destination
    now = destination_of(spec)
    if approved is None or (approved.platform, approved.host) == (now.platform, now.host):
        return
    raise DestinationHeld(
        f"account {draft.account} is held: the campaign files now send it to "
        f"{now.describe()}, but this draft was approved for {approved.describe()}",
        account=draft.account,
        hint="point the account back, or let the draft be missed and approve the new version",
    )


def platform_context(
    settings: Settings,
    clock: Any,
    credentials: Any,
    *,
    sandbox: bool,
    timeout: float = 30.0,
    gate: Any = None,
) -> Any:
    """What every publisher the daemon builds is given."""
    from scheduler.media.config import public_media
    from scheduler.platforms.base import PlatformContext

    return PlatformContext(
        clock=clock,
        credentials=credentials,
        state_dir=settings.data_dir / "state",
        outbox=settings.outbox,
        timeout=timeout,
        # A rehearsal never talks to X, so the operator's X settings do not matter to it.
        x_api_base=None if sandbox else settings.x_api_base,
        **({"gate": gate} if gate is not None else {}),
        # The outbox needs no public URL; a real run checks its media host's settings now.
        public_media=None if sandbox else public_media(settings.env, credentials, timeout=timeout),
    )


def token_keeper(context: Any, reporter: Any) -> Any:
    """The daemon's keeper of renewable tokens (see ``scheduler.daemon.tokens``)."""
    from scheduler.daemon.tokens import TokenKeeper
    from scheduler.platforms import build_publisher, renewal

    return TokenKeeper(
        lambda spec: build_publisher(spec, context),
        lambda name: renewal.current(context.credentials, context.state_dir, name),
        context.clock,
        reporter,
    )


def publisher_factory(
    settings: Settings,
    clock: Any,
    credentials: Any,
    *,
    sandbox: bool,
    timeout: float = 30.0,
    gate: Any = None,
) -> Callable[[Callable[[str, str], Any]], Callable[[Any], Any]]:
    """A function from ``spec_of(campaign, account)`` to the daemon's ``publisher_for``.

    Publishers are lent to one worker thread at a time (``platforms.lending``: HTTP sessions
    are not shared by two threads at once) and reused by the next thread posting to the same
    account. With ``sandbox`` every account writes to the outbox instead, keeping
    its real platform's rules (``as_platform``). Every request passes ``gate`` (the daemon's
    account pauses and quotas) when one is given.
    """
    from dataclasses import replace

    from scheduler import descriptors
    from scheduler.platforms import build_publisher
    from scheduler.platforms.lending import PublisherPool

    stand_in = descriptors.stand_in()
    context = platform_context(
        settings, clock, credentials, sandbox=sandbox, timeout=timeout, gate=gate
    )
    pool = PublisherPool()

    def make(spec_of: Callable[[str, str], Any]) -> Callable[[Any], Any]:
        def publisher_for(draft: Any) -> Any:
            spec = spec_of(draft.campaign, draft.account)
            if not sandbox:
                same_destination(draft, spec)
            if sandbox and spec.platform != stand_in.name:
                settings_ = {"as_platform": spec.platform}
                spec = replace(spec, platform=stand_in.name, settings=settings_)
            marker = (spec.name, spec.platform, tuple(sorted(spec.settings.items())))
            return pool.lend(marker, lambda: build_publisher(spec, context))

        return publisher_for

    return make
