"""For the module's authors and maintainers, never imported by a student's notebook: the lock of the environments
(:mod:`.lock`). Building exercises, executing notebooks, the sites and the data check are verbs of
``python -m trotsky1940`` (see ``trotsky1940.__main__``)."""
