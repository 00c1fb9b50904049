"""LocalTune's training runtime: `python -m localtune_runtime probe | train | generate`.

Importing this package imports nothing heavy: `probe` must work where torch is missing.
"""

__version__ = "0.1.0"
