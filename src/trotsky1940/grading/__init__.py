"""Grading a class: the teacher's side, kept apart from everything a student's kernel imports.

Who runs what:

| module | runs in | touches student code? |
|---|---|---|
| :mod:`~trotsky1940.grading.cli` | the teacher's shell (``python -m trotsky1940 grade``) | no |
| :mod:`~trotsky1940.grading.core` | the grader process | no: it reads answers as text |
| :mod:`~trotsky1940.grading.intake` | the grader process | reads the files, never runs them |
| :mod:`~trotsky1940.grading.report` | the grader process | escapes what students wrote |
| :mod:`~trotsky1940.grading.lms` | the grader process | opens platform zips safely, reads their file naming |
| :mod:`~trotsky1940.grading.students` | the grader process | reads the "Your name" cell and the roster |
| :mod:`~trotsky1940.grading.gradebook` | the grader and the marking app | no: writes the results folder |
| :mod:`~trotsky1940.grading.shards` | the grader (``--shard I/N``, ``grade merge``) | no: splits and joins results |
| :mod:`~trotsky1940.grading.feedback` | the grader and the marking app | escapes what students wrote |
| :mod:`~trotsky1940.grading.exports` | the grader and the marking app | no: Moodle and Canvas import files |
| :mod:`~trotsky1940.grading.marks` | the grader and the marking app | no: the rubric and marks.csv |
| :mod:`~trotsky1940.grading.marking` | ``teachers/mark-reflections.ipynb`` (``make mark``) | shows them as text |
| :mod:`~trotsky1940.grading.exercise_format` | the grader and the exercise builder | no |
| :mod:`~trotsky1940.grading.sandbox` | the grader process (builds the sandboxes) | no |
| :mod:`~trotsky1940.grading.worker` | the nbval sandbox | receives the kernel's messages |
| :mod:`~trotsky1940.grading.nbval_plugin` | the nbval sandbox | receives the kernel's messages |
| :mod:`~trotsky1940.grading.records` | the nbval sandbox (signs) and the grader (reads) | no: signed cell results |
| :mod:`~trotsky1940.grading.kernel` | the kernel sandbox | yes: it starts the student's kernel |
"""
