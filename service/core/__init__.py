"""What every rules package shares: the clock, the domain errors and the identifying-text check.

Below ``service.booking``, ``service.identity`` and ``service.stats``; it
imports none of them and nothing of HTTP.
"""
