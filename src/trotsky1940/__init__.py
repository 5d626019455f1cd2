"""Helpers for the teaching module on the assassination of Leon Trotsky (Coyoacán, 20–21 August 1940).

The notebooks stay thin: they call one-line helpers from this package.

- :mod:`trotsky1940.data`   loads and validates the sourced data set in ``data/``.
- :mod:`trotsky1940.charts` draws charts that carry their data and a text alternative.
"""

__version__ = "0.1.0"
