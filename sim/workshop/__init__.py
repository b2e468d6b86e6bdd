"""The teachers' workshop page (``omnisim workshop``): pick a maturity phase, move a lever
and watch customers flow, queues build up and money come in, two phases side by side.

- :mod:`~sim.workshop.company`: stepping a model by simulated days, what the page shows,
  and the Mesa model the page drives (no Solara needed),
- :mod:`~sim.workshop.levers`: the levers as ``--set`` overrides of a phase,
- :mod:`~sim.workshop.lessons`: lesson texts from ``sim/scenarios/README.md``,
- :mod:`~sim.workshop.charts`: the live charts as ECharts options,
- :mod:`~sim.workshop.views`, :mod:`~sim.workshop.app`: the Solara page,
- :mod:`~sim.workshop.server`: serving it offline on this machine.

Importing this package imports nothing heavy; Solara is imported by the page modules only.
"""
