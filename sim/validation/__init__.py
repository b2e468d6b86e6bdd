"""Validation of the engine against queueing theory (``omnisim selfcheck``, tests/validation/).

- :mod:`~sim.validation.theory`: Erlang C, Erlang A (exact), M/M/1, Jackson networks,
- :mod:`~sim.validation.network`: the queueing network a pure service scenario describes,
- :mod:`~sim.validation.suite`: the shipped cases, replications and the comparison rule.
"""
