"""Validation: the engine against queueing theory and against Ciw, a peer simulator."""
