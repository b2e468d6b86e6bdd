"""Serving the workshop page: Solara's Starlette app under uvicorn, offline and local.

Solara reads its settings from the environment when it is imported, so :func:`serve` sets
them first:

- assets are served by this server from the ``solara-assets`` package (the "CDN proxy" reads
  them from its install folder; nothing is fetched from the internet),
- production mode (no auto-reload, no version check, no "success" beacon),
- telemetry off,
- the app is ``sim.workshop.app`` and the scenario shown first is passed in
  ``OMNISIM_WORKSHOP_SCENARIO``.

The server listens on ``127.0.0.1`` unless the user names another host.
"""

from __future__ import annotations

import os
from typing import Any

from sim.scenario import SCENARIO_DIR, resolve_path

APP = "sim.workshop.app"
ENV_SCENARIO = "OMNISIM_WORKSHOP_SCENARIO"
#: Environment Solara reads at import; set before anything imports solara. These are forced:
#: the page, production mode (development mode adds a beacon to solara.dev), no telemetry and
#: assets served by this server.
SOLARA_ENV = {
    "SOLARA_APP": APP,
    "SOLARA_MODE": "production",
    "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False",
    "SOLARA_ASSETS_PROXY": "True",
}
#: Defaults a user may override in the environment.
SOLARA_DEFAULTS = {
    "SOLARA_THEME_SHOW_BANNER": "False",
    "SOLARA_THEME_TITLE": "omnisim workshop",
}


def ref_of(scenario: str) -> str:
    """A shipped scenario's name (``total-commerce/phase-1-siloed``), else its file path."""
    path = resolve_path(scenario).resolve()
    try:
        rel = path.relative_to(SCENARIO_DIR.resolve()).with_suffix("")
    except ValueError:
        return str(path)
    return rel.as_posix()


def assets_missing() -> str | None:
    """Why the page would need the internet, or None when every asset is local."""
    try:
        import solara
        import solara_assets
    except ImportError as exc:
        return f"{exc.name} is not installed (pip install -e .)"
    if solara_assets.__version__ != solara.__version__:
        return (f"solara-assets {solara_assets.__version__} does not match solara "
                f"{solara.__version__}; install matching versions (see setup.cfg)")
    from solara.server import settings

    if not (settings.assets.proxy_cache_dir / "requirejs@2.3.6").is_dir():
        return f"solara-assets files are missing from {settings.assets.proxy_cache_dir}"
    return None


def configure(scenario: str, host: str, port: int) -> None:
    """Set the environment Solara and the app read (before solara is imported)."""
    os.environ.update(SOLARA_ENV)
    for key, value in SOLARA_DEFAULTS.items():
        os.environ.setdefault(key, value)
    os.environ[ENV_SCENARIO] = scenario
    os.environ["SERVER_NAME"] = host
    os.environ["SERVER_PORT"] = str(port)


def serve(scenario: str, host: str = "127.0.0.1", port: int = 8765,
          on_ready: Any = None) -> None:
    """Serve the page until interrupted (Ctrl-C).

    Args:
        scenario: the scenario shown first (resolved ref or path).
        host: interface to listen on (``127.0.0.1``: this machine only).
        port: TCP port.
        on_ready: called with the URL once the server accepts connections.
    """
    import sys

    check_port(host, port)
    if "solara" in sys.modules:
        raise RuntimeError("internal error: solara was imported before its settings were set")
    configure(scenario, host, port)
    problem = assets_missing()
    if problem:
        raise RuntimeError(problem)
    import warnings

    import uvicorn

    # Solara warns on every plain-http page that it falls back to SameSite=lax cookies:
    # exactly right for a page served on this machine or the room's network
    warnings.filterwarnings("ignore", message="Cookies with samesite=none require https",
                            category=UserWarning)
    warm_up(scenario)

    config = uvicorn.Config("solara.server.starlette:app", host=host, port=port,
                            log_level="warning", access_log=False, lifespan="on")
    server = uvicorn.Server(config)
    if on_ready is not None:
        _notify_when_started(server, f"http://{host}:{port}/", on_ready)
    server.run()


def check_port(host: str, port: int) -> None:
    """Fail at once, in one line, when the address cannot be listened on (before the slow
    start-up, and instead of uvicorn's own exit)."""
    import socket

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise OSError(exc.errno, f"unknown host {host!r}") from None
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(address)


def warm_up(scenario: str) -> None:
    """Import the page and fill its shared caches before the first browser connects, so the
    first visitor waits no longer than the next; the process map is drawn in the
    background."""
    import threading

    from sim.workshop import app, charts, views
    from sim.workshop.company import Workshop

    params = app.initial_params()
    app.ladders(params["scenario"])
    views.lessons()
    model = Workshop(**params)
    app.SPARES.prepare(params)
    for make in charts.ALL.values():
        make(model.companies)
    c = model.companies[0]
    threading.Thread(target=views.map_png, args=(c.ref, c.overrides), daemon=True).start()


def _notify_when_started(server: Any, url: str, on_ready: Any) -> None:
    import threading
    import time

    def wait() -> None:
        while not server.started and not server.should_exit:
            time.sleep(0.05)
        if server.started:
            on_ready(url)

    threading.Thread(target=wait, daemon=True).start()
