"""Commands that publish: run, demo, and accounts check."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from scheduler.cli.common import campaign_paths, open_ledger, redact, settings_from
from scheduler.errors import SchedulerError, UsageError

if TYPE_CHECKING:
    from scheduler.daemon.base import DaemonOptions
    from scheduler.daemon.metrics import DaemonMetrics, MetricsServer
    from scheduler.log import EventSink
    from scheduler.metrics import Checkable
    from scheduler.settings import Settings


def cmd_accounts_check(args: argparse.Namespace) -> int:
    from scheduler.campaign import load_campaign
    from scheduler.clock import SystemClock
    from scheduler.credentials import CredentialStore
    from scheduler.platforms import build_publisher
    from scheduler.platforms.base import PlatformContext

    campaign = load_campaign(args.path)
    settings = settings_from(args)
    context = PlatformContext(
        clock=SystemClock(),
        credentials=CredentialStore(settings.env, settings.secrets_file),
        state_dir=settings.data_dir / "state",
        outbox=settings.outbox,
        timeout=args.timeout,
        x_api_base=settings.x_api_base,
    )
    problems = 0
    for name, account in sorted(campaign.accounts.items()):
        spec = account.spec(name)
        label = f"{name} ({spec.platform})"
        publisher = None
        try:
            publisher = build_publisher(spec, context)
            info = publisher.verify()
        except SchedulerError as exc:
            problems += 1
            verdict, words = account_problem(exc)
            print(f"{verdict:<11} {label}: {words}")
            if exc.hint:
                print(f"{'':<11} hint: {exc.hint}")
            continue
        finally:
            if publisher is not None:
                publisher.close()
        who = f"@{info.handle}" if info.handle else info.remote_id
        print(f"{'ok':<11} {label}: {who}" + (f" {info.url}" if info.url else ""))
    total = len(campaign.accounts)
    if problems:
        print(f"{problems} of {total} account{'s' if total != 1 else ''} need attention")
        return 1
    print(f"all {total} account{'s' if total != 1 else ''} ready")
    return 0


def account_problem(exc: SchedulerError) -> tuple[str, str]:
    """A plain verdict for one account's failed check: what is wrong, in a word, and why."""
    from scheduler.errors import ConfigError
    from scheduler.platforms.base import AuthFailed, OutcomeUnknown, RateLimited, Transient

    if isinstance(exc, ConfigError):
        verdict = "MISSING" if "missing credential" in exc.message else "MISCONFIGURED"
        return verdict, exc.message
    if isinstance(exc, UsageError):
        return "UNSUPPORTED", exc.message
    if isinstance(exc, AuthFailed):
        return "REJECTED", exc.message
    if isinstance(exc, RateLimited):
        wait = f" for {exc.retry_after:.0f} s" if exc.retry_after else ""
        return "BUSY", f"{exc.message}; the platform asks to wait{wait}"
    if isinstance(exc, Transient | OutcomeUnknown):
        return "UNREACHABLE", exc.message
    return "FAILED", exc.message


def cmd_run(args: argparse.Namespace) -> int:
    from scheduler.clock import SystemClock
    from scheduler.credentials import CredentialStore
    from scheduler.daemon.base import DaemonOptions
    from scheduler.daemon.gate import LedgerGate
    from scheduler.daemon.metrics import DaemonMetrics, MetricsSink
    from scheduler.daemon.report import Reporter
    from scheduler.daemon.runner import Daemon
    from scheduler.daemon.source import CampaignFiles
    from scheduler.log import EventLog
    from scheduler.notify import FanOut, notifiers_from_env
    from scheduler.platforms.quota import quotas_for

    settings = settings_from(args)
    clock = SystemClock()
    metrics = DaemonMetrics()
    log = MetricsSink(EventLog(sys.stderr, json_lines=args.log_json, clock=clock), metrics)
    source = CampaignFiles(campaign_paths(args.paths))
    # The flag can only switch stopping on: without it, SCHEDULER_DAEMON_EXIT_WHEN_DONE decides.
    stop_when_done = {"exit_when_done": True} if args.exit_when_done else {}
    options = DaemonOptions.from_env(settings.env, **stop_when_done)
    notifiers = notifiers_from_env(settings.env)
    reporter = Reporter(log, FanOut(notifiers) if notifiers else None)
    credentials = CredentialStore(settings.env, settings.secrets_file)
    holder: list[Any] = []

    def spec_of(campaign: str, account: str) -> Any:
        return holder[0].campaigns[campaign].accounts[account]

    def account_quotas(account: str, platform: str) -> Any:
        # The account's own settings pick its quotas (X's tier); the first campaign naming it.
        for loaded in holder[0].campaigns.values():
            spec = loaded.accounts.get(account)
            if spec is not None and spec.platform == platform:
                return quotas_for(platform, spec.settings)
        return quotas_for(platform)

    ledger = open_ledger(settings, clock)
    metrics.watch_ledger(ledger, clock)
    gate = LedgerGate(ledger, clock, quotas=account_quotas, reporter=reporter)
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
    ledger = open_ledger(settings, clock)
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

    Each worker thread keeps its own publisher per account (HTTP sessions are not shared
    between threads). With ``sandbox`` every account writes to the outbox instead, keeping
    its real platform's rules (``as_platform``). Every request passes ``gate`` (the daemon's
    account pauses and quotas) when one is given.
    """
    import threading
    from dataclasses import replace

    from scheduler import descriptors
    from scheduler.platforms import build_publisher
    from scheduler.platforms.base import PlatformContext

    stand_in = descriptors.stand_in()

    context = PlatformContext(
        clock=clock,
        credentials=credentials,
        state_dir=settings.data_dir / "state",
        outbox=settings.outbox,
        timeout=timeout,
        # A rehearsal never talks to X, so the operator's X settings do not matter to it.
        x_api_base=None if sandbox else settings.x_api_base,
        **({"gate": gate} if gate is not None else {}),
    )
    local = threading.local()

    def make(spec_of: Callable[[str, str], Any]) -> Callable[[Any], Any]:
        def publisher_for(draft: Any) -> Any:
            spec = spec_of(draft.campaign, draft.account)
            if sandbox and spec.platform != stand_in.name:
                settings_ = {"as_platform": spec.platform}
                spec = replace(spec, platform=stand_in.name, settings=settings_)
            cache: dict[Any, Any] = getattr(local, "cache", None) or {}
            local.cache = cache
            marker = (spec.name, spec.platform, tuple(sorted(spec.settings.items())))
            if marker not in cache:
                cache[marker] = build_publisher(spec, context)
            return cache[marker]

        return publisher_for

    return make
