"""The lead-to-cash journey, one module per part.

- :mod:`~sim.journey.shop`: B2C visits, cart and checkout (abandonment from reasons),
- :mod:`~sim.journey.sales`: B2B lead response, qualification, sales, quote, negotiation,
- :mod:`~sim.journey.order`: order entry, validation (price, stock, credit), ERP,
- :mod:`~sim.journey.fulfil`: pick/pack, supplier POs for bundles, carrier, installation,
- :mod:`~sim.journey.cash`: invoicing, payment, disputes, dunning, returns, contacts.
- :mod:`~sim.journey.service`: service requests routed through stations (``kind: service``).

Shared helpers live in :mod:`~sim.journey.common`.
"""
