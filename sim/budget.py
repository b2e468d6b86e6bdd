"""How big a run will be, estimated before it starts: customers, event-log rows, memory.

The estimate is arithmetic on the validated scenario (no simulation; microseconds), and
deliberately simple, so it can be stated in a sentence (docs/architecture.md, "Run size"):

- customers = existing customers + leads per day x days, with peaks adding
  ``(factor - 1) x`` the leads of the part of the peak inside the horizon (hourly and weekly
  profiles have mean 1, so they do not change the count);
- events (event-log rows) = ``EVENTS_PER_CUSTOMER`` per customer, plus one per existing
  customer every ``DAYS_PER_REPEAT_ROW`` days (repeat orders over a long horizon), plus the
  samples, price changes and their master-data transfers;
- memory = ``BASE_BYTES`` + ``BYTES_PER_CUSTOMER`` per customer + ``BYTES_PER_SAMPLE`` per
  sample of the time series (horizon / ``sample_interval``).

Measured on the shipped scenarios over 60 days (seed 1): 1.0-2.2 event-log rows per
customer, and 0.24-0.55 KB of resident memory per customer above the ~180 MB of a small run.
The constants are 1.5-4 times those, so a run refused is one that would really be too big;
one that passes may still be slow, never silently out of memory. A run is refused (one line,
exit 2) when it would need more than half of the machine's memory or more than
``MAX_EVENTS`` rows (about an hour at the ~60,000 rows per second of the shipped
scenarios). ``--force`` on ``run``, ``compare``, ``sweep`` and ``workshop`` skips the check;
the environment variable ``OMNISIM_MAX_EVENTS`` sets another event limit for every command
that checks.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from sim.scenario import Scenario, ScenarioError

EVENTS_PER_CUSTOMER = 4.0
DAYS_PER_REPEAT_ROW = 10.0
BYTES_PER_CUSTOMER = 1024
BYTES_PER_SAMPLE = 1024
BASE_BYTES = 200 * 2**20
MAX_EVENTS = 200_000_000
#: the share of the machine's physical memory a run may be estimated to use
MEMORY_SHARE = 0.5


@dataclass(frozen=True)
class Estimate:
    """The estimated size of one run (one replication)."""

    customers: float
    events: float
    memory_bytes: float


def estimate(sc: Scenario) -> Estimate:
    """The size of a run of ``sc`` to its horizon (see the module docstring)."""
    days = sc.horizon / 24.0
    leads_per_day = sum(seg.leads_per_day for seg in sc.segments.values())
    extra_days = sum((p.factor - 1.0) * max(min(p.start + p.length, sc.horizon)
                                            - max(p.start, 0.0), 0.0) / 24.0
                     for p in sc.calendar.peaks)
    existing = sum(getattr(seg, "existing_customers", 0) for seg in sc.segments.values())
    customers = existing + leads_per_day * max(days + extra_days, 0.0)
    cat = sc.catalog
    price_rows = (cat.price_changes_per_day * days * sc.data_masters.price
                  if sc.data_masters.price > 1 else 0.0)
    samples = sc.horizon / sc.sample_interval
    events = (customers * EVENTS_PER_CUSTOMER + existing * days / DAYS_PER_REPEAT_ROW
              + samples + price_rows)
    memory = BASE_BYTES + customers * BYTES_PER_CUSTOMER + samples * BYTES_PER_SAMPLE
    return Estimate(customers, events, memory)


def physical_memory() -> float | None:
    """Bytes of physical memory, or None where the system does not say."""
    try:
        return float(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):
        return None


def event_limit() -> float:
    """``MAX_EVENTS``, or the number in ``OMNISIM_MAX_EVENTS``."""
    text = os.environ.get("OMNISIM_MAX_EVENTS", "").strip()
    if not text:
        return MAX_EVENTS
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value > 0 or value == float("inf"):
        raise ScenarioError(f"OMNISIM_MAX_EVENTS={text!r}: expected a positive number of "
                            "event-log rows (default 200000000)")
    return value


def check(sc: Scenario, source: str) -> Estimate:
    """Raise ScenarioError (one line) if a run of ``sc`` is estimated past a limit.

    Args:
        sc: the validated scenario (its horizon and seed as they will run).
        source: the file or name the message starts with.
    """
    est = estimate(sc)
    limit = event_limit()
    memory = physical_memory()
    size = (f"about {est.customers:,.0f} customers, {est.events:,.0f} event-log rows and "
            f"{est.memory_bytes / 2**30:,.1f} GB of memory")
    if memory is not None and est.memory_bytes > MEMORY_SHARE * memory:
        raise ScenarioError(f"{source}: the run would need {size}, more than half of this "
                            f"machine's {memory / 2**30:,.1f} GB; shorten the horizon or "
                            "lower leads_per_day, or use --force to run it anyway")
    if est.events > limit:
        raise ScenarioError(f"{source}: the run would need {size}, more than the limit of "
                            f"{limit:,.0f} rows; shorten the horizon or lower leads_per_day, "
                            "or use --force (or set OMNISIM_MAX_EVENTS) to run it anyway")
    return est
