"""``omnisim workshop`` (the teachers' page) and ``omnisim map`` (a scenario's process map).

Both import their heavy parts (Solara, matplotlib) inside the command, so ``omnisim --help``
stays instant.
"""

from __future__ import annotations

from pathlib import Path

import click

from sim.cli.common import CliError, check_size, force_option


@click.command()
@click.argument("scenario", required=False, default="total-commerce/phase-1-siloed")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on (an IP address or localhost; names are not looked "
                   "up). The default serves this machine only; give "
                   "0.0.0.0 to let other machines in the room connect.")
@click.option("--port", type=click.IntRange(1, 65535), default=8765, show_default=True,
              help="TCP port of the page.")
@force_option
def workshop(scenario: str, host: str, port: int, force: bool) -> None:
    """Serve the workshop page for a class: pick a phase, move a lever, watch the flow.

    The page opens on SCENARIO (default: Total Commerce phase 1; any shipped name or a file)
    and lets the class switch ladder and phase, change staffing, the stock sync interval,
    chatbot self-service, page speed and the order desk's integration mode, and run two
    phases side by side with the same seed. Charts show customers per journey stage, queues
    at the busiest resources, cart and call abandonment, orders per day, cost per order and
    cash, with the bottleneck named in words and the lesson of each phase from
    the shipped scenarios' README. Every browser tab gets its own company. Needs no internet.

    \b
    Examples:
      omnisim workshop                                     then open http://127.0.0.1:8765/
      omnisim workshop omnichannel/stage-1-channels-added --port 9000
      omnisim workshop my-company.yaml --host 0.0.0.0      reachable from the room's network
    """
    from sim.scenario import load
    from sim.workshop.server import ref_of, serve

    host = listen_address(host)
    ref = ref_of(scenario)
    check_size(load(ref), force)  # a bad or too big scenario: one line now, not on the page
    url = f"http://{host}:{port}/"

    def ready(_: str) -> None:
        click.echo(f"omnisim workshop: serving {ref} at {url}  (Ctrl-C to stop)", err=True)

    try:
        serve(ref, host, port, on_ready=ready)
    except RuntimeError as exc:
        raise CliError(f"workshop: {exc}") from None
    except OSError as exc:
        import errno

        why = exc.strerror or str(exc)
        hint = " (another server on that port? choose another --port)" \
            if exc.errno == errno.EADDRINUSE else ""
        raise CliError(f"workshop --host {host} --port {port}: cannot listen there: "
                       f"{why}{hint}") from None


def listen_address(host: str) -> str:
    """``host`` if it is an IP address (``127.0.0.1``, ``0.0.0.0``, ``::1``) or ``localhost``;
    any other name is refused without a DNS query (a lookup of a mistyped name could wait
    for a resolver, and would tell the network which name was asked for).

    Raises:
        CliError: naming the option and what is allowed.
    """
    import ipaddress

    if host.lower() == "localhost":
        return "127.0.0.1"
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        raise CliError(f"workshop --host {host!r}: give an IP address (127.0.0.1, 0.0.0.0, "
                       "::1 ...) or 'localhost'; host names are not looked up") from None


@click.command("map")
@click.argument("scenario")
@click.option("--format", "fmt", type=click.Choice(["svg", "png"]), default="svg",
              show_default=True, help="Picture format.")
@click.option("--out", type=click.Path(path_type=Path), default=None,
              help="File to write (default: results/maps/<scenario>.<format>).")
@click.option("--set", "overrides", multiple=True, metavar="PATH=VALUE",
              help="Override a scenario field first, e.g. --set links.order_desk.mode=... "
                   "(repeatable).")
def map_(scenario: str, fmt: str, out: Path | None, overrides: tuple[str, ...]) -> None:
    """Draw SCENARIO's data and process map: who passes work to whom, and how.

    Channels, systems and partners are boxes; every integration link of the scenario is an
    arrow labelled with its mode: manual (a clerk re-keys it, dashed red), batch every N h
    (orange) or real-time (green). Drawn with matplotlib: works offline, no graphviz.

    \b
    Examples:
      omnisim map total-commerce/phase-1-siloed
      omnisim map total-commerce/phase-4-integrated --format png --out phase4.png
    """
    from sim.processmap import draw, process_map
    from sim.scenario import load

    loaded = load(scenario, overrides)
    target = out or Path("results") / "maps" / f"{loaded.scenario.name}.{fmt}"
    if target.suffix.lower() not in ("", f".{fmt}"):
        raise CliError(f"--out {target}: the file ends in {target.suffix}, but --format is "
                       f"{fmt} (give --format {target.suffix.lstrip('.').lower()} or rename)")
    if target.is_dir():
        raise CliError(f"--out {target}: is a folder; give a file name")
    try:
        draw(process_map(loaded.scenario), target, fmt)
    except OSError as exc:
        raise CliError(f"--out {target}: cannot write: {exc.strerror}") from None
    click.echo(f"{target}")
