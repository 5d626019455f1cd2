"""For the module's authors and maintainers, never imported by a student's notebook.

- :mod:`.build_exercises` and :mod:`.variants`: the student exercise notebooks and keys from the references, and
  class variants (``python -m trotsky1940 build-exercises``).
- :mod:`.execute`: run notebooks in a fresh kernel and save stable outputs (``python -m trotsky1940 execute``).
- :mod:`.site`: the student and teacher static sites (``python -m trotsky1940 build-site``, ``make html``).
- :mod:`.handouts`: print-ready document sets and a teacher key (``make handouts``).
- :mod:`.check_data`: validate ``data/`` (``python -m trotsky1940 check-data``).
- :mod:`.lock`: ``environment.yml`` from the full lock (``make lock``).

What students' notebooks import sits at the top of the package (``data``, ``display``, ``charts``, ``timeline``,
``documents``, ``exercises``, ``answer_forms``); what graders use is in :mod:`trotsky1940.grading`.
"""
