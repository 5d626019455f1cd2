"""Marking the reflection questions: the marking app, with the rubric from the teacher guide and the marks file.

Used by the teacher, in ``teachers/mark-reflections.ipynb`` (``make mark RESULTS=results/01`` serves it as a
Voila app). Nothing here runs student code.

The rubric, the marks file and the list of reflections live in :mod:`trotsky1940.grading.marks`, which the
grader uses (:mod:`trotsky1940.grading.cli`, :mod:`trotsky1940.grading.gradebook`, the feedback pages of
:mod:`trotsky1940.grading.feedback`) without importing ipywidgets; their public names are re-exported here
(``marking.read_marks`` is ``marks.read_marks``). They are the same objects, not a second copy: patch a name in
``marks`` to change how ``rubric()`` or ``read_marks()`` behave.

- :func:`rubric` reads the rubric for one exercise from ``teachers/guide.md`` (section "Rubric for the
  reflection questions"): the guide is the one place the rubric is written, so a change there shows here.
- :func:`read_marks` / :func:`write_marks` read and write ``marks.csv`` (columns
  ``submission,name,student_id,question,level,comment,marked_at``), written atomically after every mark.
- :class:`MarkingApp` / :func:`app` show one reflection at a time with the rubric, four level buttons, a
  comment box, Previous / "Save and next" / "Skip to the next unmarked", and how many are marked. Everything a
  student wrote is shown as text (HTML escaped through :mod:`trotsky1940.grading.report`).

Keyboard: every control is an ordinary button or text box, so Tab and Shift+Tab move between them and Enter or
Space presses a button. After "Save and next" and "Skip to the next unmarked" the focus moves to the first level
button of the reflection now shown; after "Previous" it stays on "Previous". (ipywidgets 8 can move the focus to
a control, but not to a piece of text, and it cannot mark a region as live for screen readers: the student's
name and the progress are read when the reader moves back up to them.)
"""

from __future__ import annotations

import shlex
from collections.abc import Callable
from pathlib import Path

import ipywidgets as widgets

from . import report
from .marks import (  # the rubric and marks API, re-exported: marking.read_marks and the rest
    COLUMNS,
    DEFAULT_RESULTS,
    ENV_VAR,
    GUIDE,
    LEVELS,
    MARKS,
    RUBRIC_SECTION,
    STATE,
    Entry,
    Level,
    Mark,
    MarksError,
    Rubric,
    RubricError,
    _shown_folder,
    entries_of,
    grade_command,
    guide_path,
    marks_text,
    md_html,
    md_plain,
    now,
    read_marks,
    resolve_results,
    rubric,
    short_label,
    write_marks,
)

__all__ = [
    "GUIDE", "RUBRIC_SECTION", "LEVELS", "MARKS", "STATE", "COLUMNS", "ENV_VAR", "DEFAULT_RESULTS",
    "RubricError", "md_plain", "md_html", "short_label", "Level", "Rubric", "guide_path", "rubric",
    "MarksError", "Mark", "read_marks", "marks_text", "write_marks", "now", "Entry", "entries_of",
    "resolve_results", "grade_command", "MarkingApp", "app", "default_on_save",
]


def default_on_save(results_dir: Path) -> None:
    """Re-render the gradebook and the feedback from results.json and marks.csv, when the grader can."""
    rebuild = getattr(report, "rebuild", None)
    if callable(rebuild):
        rebuild(Path(results_dir))


# -- the app ------------------------------------------------------------------------------------------------
STYLE = """<style>
.t40-marking { --t40-font: 16px; font-size: var(--t40-font); line-height: 1.45; color: #111; }
@media (min-width: 1700px) { .t40-marking { --t40-font: 19px; } }
.t40-marking .widget-html-content { font-size: var(--t40-font); line-height: 1.45; white-space: normal; }
.t40-marking .widget-html, .t40-marking .widget-html-content { overflow: visible; }
.t40-marking h2, .t40-marking h3 { margin: 0.2em 0 0.3em; line-height: 1.25; }
.t40-marking h2 { font-size: 1.3em; } .t40-marking h3 { font-size: 1.12em; }
.t40-marking .t40-mark-progress-text { font-weight: bold; font-size: 1.12em; margin: 0.2em 0; }
.t40-marking .t40-mark-where { font-size: 0.9em; color: #333; overflow-wrap: anywhere; }
.t40-marking .t40-mark-reflection-text { white-space: pre-wrap; overflow-wrap: anywhere; border: 2px solid #555;
  border-radius: 4px; padding: 0.5em 0.8em; background: #fafafa; }
.t40-marking .t40-mark-noanswer { font-style: italic; color: #444; }
.t40-marking .t40-mark-notes { color: #333; border-left: 4px solid #b35900; padding-left: 1.4em; margin: 0.3em 0; }
.t40-marking .t40-mark-levels { display: grid !important; grid-template-columns: repeat(2, minmax(0, 1fr));
  gap: 0.4em 0.6em; }
.t40-marking .t40-mark-levels button.jupyter-button { width: 100%; margin: 0; text-align: left; }
.t40-marking button.jupyter-button { font-size: var(--t40-font); height: auto; min-height: 2.2em;
  padding: 0.3em 0.9em; white-space: normal; line-height: 1.3; color: #111; background: #e8e8e8;
  border: 1px solid #666; }
.t40-marking button.jupyter-button:hover { background: #d6d6d6; }
.t40-marking button.jupyter-button:focus-visible, .t40-marking textarea:focus-visible {
  outline: 3px solid #000; outline-offset: 2px; box-shadow: 0 0 0 5px #ffd54f; }
.t40-marking button.t40-level-chosen, .t40-marking button.t40-level-chosen:hover { background: #17375e;
  color: #fff; font-weight: bold; border-color: #17375e; }
.t40-marking button.t40-mark-save, .t40-marking button.t40-mark-save:hover { background: #1b5e20; color: #fff;
  font-weight: bold; border-color: #1b5e20; }
.t40-marking .widget-textarea { width: 100%; flex-direction: column; align-items: stretch; }
.t40-marking .widget-textarea label.widget-label { width: auto; text-align: left; font-size: var(--t40-font);
  margin-bottom: 0.2em; line-height: 1.4; }
.t40-marking textarea { font: inherit; font-size: var(--t40-font); min-height: 4.5em; }
.t40-marking .t40-rubric-table { border-collapse: collapse; width: 100%; }
.t40-marking .t40-rubric-table th, .t40-marking .t40-rubric-table td { border: 1px solid #888;
  padding: 0.25em 0.45em; text-align: left; vertical-align: top; font-size: 0.94em; line-height: 1.38; }
.t40-marking .t40-rubric-table thead th { background: #eee; }
.t40-marking .t40-rubric-table th.t40-rubric-level { width: 1.6em; }
.t40-marking .t40-rubric-table td.t40-rubric-general { width: 34%; }
.t40-marking .t40-rubric-intro { margin: 0.1em 0 0.4em; }
.t40-marking .t40-mark-message-text { font-weight: bold; }
.t40-marking .t40-mark-message-text.t40-warn { color: #8a1c00; }
.t40-marking .t40-mark-problem { border: 3px solid #8a1c00; padding: 0.6em 1em; max-width: 52em; }
.t40-marking .t40-mark-problem code { white-space: pre-wrap; overflow-wrap: anywhere; }
</style>"""


def _html(cls: str) -> widgets.HTML:
    w = widgets.HTML(layout=widgets.Layout(width="100%", margin="2px 0"))
    w.add_class(cls)
    return w


class MarkingApp(widgets.VBox):
    """Mark the reflections of one results folder, one at a time, with the rubric beside them.

    An ``ipywidgets.VBox`` with the CSS class ``t40-marking``. ``on_save(results_dir)`` is called after every
    saved mark (default: :func:`default_on_save`, which re-renders the gradebook and the feedback); if it
    fails, the app says so and the mark stays saved.
    """

    def __init__(self, results_dir: str | Path, on_save: Callable[[Path], object] | None = None):
        self.results_dir = Path(results_dir)
        self.marks_path = self.results_dir / MARKS
        self.on_save = on_save if on_save is not None else default_on_save
        self.results: dict | None = None
        self.entries: list[Entry] = []
        self.marks: dict[tuple[str, str], Mark] = {}
        self.drafts: dict[tuple[str, str], tuple[int | None, str]] = {}
        self.index = 0
        self.level: int | None = None
        self.rubrics: dict[str, Rubric | str] = {}
        self.problem = ""
        self.said: tuple[str, bool] = ("", False)  # the message shown, as text, and whether it is a warning

        self.style_html = widgets.HTML(STYLE)
        self.style_html.add_class("t40-mark-style")
        self.heading = _html("t40-mark-title")
        self.progress = _html("t40-mark-progress")
        self.student = _html("t40-mark-student")
        self.reflection = _html("t40-mark-reflection")
        self.rubric_view = _html("t40-mark-rubric")
        self.levels_label = widgets.HTML("<strong>Choose a level</strong> (see the rubric):",
                                         layout=widgets.Layout(margin="0.4em 0 0.2em 0"))
        self.level_buttons = []
        for n in LEVELS:
            b = widgets.Button(description=f"Level {n}", layout=widgets.Layout(width="auto"))
            b.add_class("t40-mark-level")
            b.add_class(f"t40-mark-level-{n}")
            b.on_click(lambda _b, n=n: self.choose(n))
            self.level_buttons.append(b)
        self.levels_box = widgets.HBox(self.level_buttons,
                                       layout=widgets.Layout(flex_flow="row wrap", overflow="visible"))
        self.levels_box.add_class("t40-mark-levels")
        self.chosen = _html("t40-mark-chosen")
        self.comment = widgets.Textarea(description="Comment for the student (optional):",
                                        placeholder="What was done well, and what to do next time",
                                        layout=widgets.Layout(width="100%", height="8em", margin="2px 0"),
                                        style={"description_width": "initial"}, continuous_update=False)
        # Sent when the box loses the focus (Tab, or a click on a button), so it reaches the kernel before the
        # click does. With continuous_update the frontend holds back all but the first keystroke until the
        # kernel has answered it, and a quick Tab, Tab, Enter could save a comment cut short.
        self.comment.add_class("t40-mark-comment")
        self.previous_button = widgets.Button(description="Previous", tooltip="Show the reflection before this one "
                                              "(a changed mark is kept here, not saved)",
                                              layout=widgets.Layout(width="auto"))
        self.save_button = widgets.Button(description="Save and next", tooltip="Save this mark in marks.csv and "
                                          "show the next reflection", layout=widgets.Layout(width="auto"))
        self.skip_button = widgets.Button(description="Skip to the next unmarked",
                                          tooltip="Show the next reflection that has no mark yet",
                                          layout=widgets.Layout(width="auto"))
        for b, cls in ((self.previous_button, "t40-mark-previous"), (self.save_button, "t40-mark-save"),
                       (self.skip_button, "t40-mark-skip")):
            b.add_class(cls)
            b.add_class("t40-mark-nav")
        self.previous_button.on_click(lambda _b: self.previous())
        self.save_button.on_click(lambda _b: self.save_and_next())
        self.skip_button.on_click(lambda _b: self.skip())
        self.nav = widgets.HBox([self.previous_button, self.save_button, self.skip_button],
                                layout=widgets.Layout(flex_flow="row wrap", grid_gap="0.6em", margin="0.6em 0 0 0",
                                                      overflow="visible"))
        self.nav.add_class("t40-mark-navbar")
        self.message = _html("t40-mark-message")

        self.left = widgets.VBox([self.student, self.reflection, self.levels_label, self.levels_box, self.chosen,
                                  self.comment, self.nav, self.message],
                                 layout=widgets.Layout(flex="2 1 24em", min_width="18em", margin="0 1.5em 0.8em 0",
                                                       overflow="visible"))
        self.left.add_class("t40-mark-left")
        self.right = widgets.VBox([self.rubric_view], layout=widgets.Layout(flex="3 1 28em", min_width="18em",
                                                                            overflow="visible"))
        self.right.add_class("t40-mark-right")
        self.body = widgets.HBox([self.left, self.right], layout=widgets.Layout(flex_flow="row wrap", width="100%",
                                                                                overflow="visible"))
        self.body.add_class("t40-mark-body")
        self.top = widgets.HBox([self.heading, self.progress],
                                layout=widgets.Layout(flex_flow="row wrap", align_items="baseline",
                                                      justify_content="space-between", overflow="visible"))
        self.heading.layout.width = self.progress.layout.width = "auto"
        self.heading.layout.margin = "2px 2em 2px 0"
        super().__init__([self.style_html, self.top, self.body],
                         layout=widgets.Layout(width="100%", padding="0.3em 0.6em", overflow="visible"))
        self.add_class("t40-marking")
        self.problem = self._load()
        if self.problem:
            self.message.value = self.problem
            self.children = [self.style_html, self.heading, self.message]
        else:
            self.show(0)

    # -- loading ------------------------------------------------------------------------------------------
    def _problem(self, what: str, command: str = "") -> str:
        shown = report.html_text(shlex.quote(_shown_folder(self.results_dir)))
        extra = (f"<p>Grade the class into this folder first, for example:</p>"
                 f"<p><code>{report.html_text(command)}</code></p>"
                 f"<p>then open this page again (<code>make mark RESULTS={shown}</code>).</p>") if command else ""
        return f"<div class='t40-mark-problem' role='alert'><p><strong>{what}</strong></p>{extra}</div>"

    def _load(self) -> str:
        """'' when there is something to mark; else an HTML message saying what is wrong and what to do."""
        from . import gradebook

        folder = report.html_text(str(self.results_dir))
        self.heading.value = "<h2>Marking the reflections</h2>"
        try:
            state = gradebook.load_state(self.results_dir)
        except gradebook.StateError as exc:
            return self._problem(report.html_text(report.clean_line(exc)), grade_command(self.results_dir))
        if state is None:
            if not self.results_dir.is_dir():
                what = f"There is no results folder {folder}."
            else:
                what = f"There is no results.json in {folder}, so there is nothing to mark yet."
            return self._problem(what, grade_command(self.results_dir))
        self.results = state
        heading = report.clean_line(state.get("heading") or state.get("title") or state.get("exercise") or "")
        self.heading.value = f"<h2>{report.html_text(heading or 'Marking the reflections')}</h2>"
        self.entries = entries_of(state)
        if not self.entries:
            reflective = any(isinstance(q, dict) and q.get("kind") == "reflection"
                             for q in state.get("questions") or [])
            if not reflective:
                what = f"The results in {folder} have no reflection question to mark."
            else:
                what = (f"None of the {len(state.get('submissions') or [])} submissions in {folder} was graded, so "
                        "there are no reflections to mark.")
            return self._problem(what, grade_command(self.results_dir, state))
        try:
            self.marks = read_marks(self.marks_path)
        except MarksError as exc:
            self.entries = []
            return (f"<div class='t40-mark-problem' role='alert'><p><strong>"
                    f"{report.html_text(report.clean_line(exc))}</strong></p><p>Correct the file (or move it away to "
                    "start the marks again), then open this page again. Nothing is saved until then, so no mark in "
                    "it is overwritten.</p></div>")
        return ""

    def _rubric(self, exercise: str) -> Rubric | str:
        if exercise not in self.rubrics:
            try:
                self.rubrics[exercise] = rubric(exercise)
            except RubricError as exc:
                self.rubrics[exercise] = report.clean_line(exc)
        return self.rubrics[exercise]

    # -- state of the entry shown ---------------------------------------------------------------------------
    @property
    def current(self) -> Entry | None:
        return self.entries[self.index] if self.entries else None

    def marked_count(self) -> int:
        return sum(1 for e in self.entries if e.key in self.marks)

    def progress_text(self) -> str:
        done, total = self.marked_count(), len(self.entries)
        return f"{done} of {total} marked" + (": every reflection is marked" if total and done == total else "")

    def _level_info(self, n: int) -> Level | None:
        found = self._rubric(str((self.results or {}).get("exercise", "")))
        return found.level(n) if isinstance(found, Rubric) else None

    def _show_levels(self) -> None:
        for n, b in zip(LEVELS, self.level_buttons, strict=True):
            info = self._level_info(n)
            label = info.label if info else f"Level {n}"
            b.description = label + (" (chosen)" if n == self.level else "")
            b.tooltip = (f"{label}. {info.general}" if info and info.general else label)
            if n == self.level:
                b.add_class("t40-level-chosen")
            else:
                b.remove_class("t40-level-chosen")
        if self.level is None:
            self.chosen.value = "<span class='t40-mark-chosen-text'>No level chosen yet.</span>"
        else:
            info = self._level_info(self.level)
            self.chosen.value = (f"<span class='t40-mark-chosen-text'>Chosen: "
                                 f"{report.html_text(info.label if info else f'Level {self.level}')}</span>")

    def _say(self, text: str, warn: bool = False) -> None:
        self.said = (text, warn)
        cls = "t40-mark-message-text t40-warn" if warn else "t40-mark-message-text"
        self.message.value = f"<div class='{cls}' role='status'>{report.html_text(text)}</div>" if text else ""

    def _unsaved(self) -> bool:
        entry = self.current
        if entry is None:
            return False
        saved = self.marks.get(entry.key)
        if saved is None:
            return self.level is not None or bool(self.comment.value.strip())
        return (self.level, self.comment.value) != (saved.level, saved.comment)

    def _leave(self) -> str:
        """Keep the changes made to the mark shown (not saved) before another is shown; say so."""
        entry = self.current
        if entry is None or not self._unsaved():
            if entry is not None:
                self.drafts.pop(entry.key, None)
            return ""
        self.drafts[entry.key] = (self.level, self.comment.value)
        return (f"The changes to the mark for {report.clean_line(entry.who, 120)} are not saved; they are kept "
                "here until you go back and press Save and next.")

    def show(self, index: int) -> None:
        """Show reflection ``index`` with its saved mark (or the unsaved changes made to it)."""
        if not self.entries:
            return
        self.index = max(0, min(index, len(self.entries) - 1))
        entry = self.entries[self.index]
        saved = self.marks.get(entry.key)
        if entry.key in self.drafts:
            self.level, comment = self.drafts[entry.key]
        elif saved is not None:
            self.level, comment = saved.level, saved.comment
        else:
            self.level, comment = None, ""
        self.comment.value = comment
        who = report.html_text(report.clean_line(entry.who, 200))
        sid = f" <span class='t40-mark-id'>(student id {report.html_text(report.clean_line(entry.student_id, 60))})" \
              "</span>" if entry.student_id else ""
        where = report.html_text(report.clean_line(entry.submission, 300))
        status = "marked" if saved is not None else "not marked yet"
        if entry.key in self.drafts:
            status += ", with unsaved changes"
        notes = "".join(f"<li>{report.html_text(report.clean_line(n, 300))}</li>" for n in entry.notes)
        self.student.value = (
            f"<h3 class='t40-mark-who'>Student: {who}{sid}</h3>"
            f"<div class='t40-mark-where'>Reflection {self.index + 1} of {len(self.entries)}, question "
            f"{report.html_text(entry.question)} ({status}). File: {where}</div>"
            + (f"<ul class='t40-mark-notes'>{notes}</ul>" if notes else ""))
        text = report.clean_text(entry.reflection)
        body = (report.html_text(text.strip("\n")) if text.strip()
                else "<span class='t40-mark-noanswer'>(no answer)</span>")
        self.reflection.value = (f"<div class='t40-mark-reflection-label'><strong>The student's answer</strong></div>"
                                 f"<div class='t40-mark-reflection-text'>{body}</div>")
        found = self._rubric(str(self.results.get("exercise", "")))
        self.rubric_view.value = (found.html() if isinstance(found, Rubric) else
                                  f"<div class='t40-mark-problem'>The rubric could not be shown: "
                                  f"{report.html_text(found)}</div>")
        self._show_levels()
        self.progress.value = f"<div class='t40-mark-progress-text'>{report.html_text(self.progress_text())}</div>"

    # -- actions ------------------------------------------------------------------------------------------
    def choose(self, level: int) -> None:
        """Choose a rubric level for the reflection shown (saved by :meth:`save_and_next`)."""
        if not self.entries:
            return
        self.level = int(level)
        self._show_levels()
        self._say("")

    def save(self) -> bool:
        """Save the mark shown in marks.csv, then call ``on_save``; True when the mark is saved."""
        entry = self.current
        if entry is None:
            return False
        if self.level is None:
            self._say("Choose a level (0 to 3) first: nothing was saved.", warn=True)
            return False
        saved = self.marks.get(entry.key)
        if saved is not None and (saved.level, saved.comment) == (self.level, self.comment.value):
            self.drafts.pop(entry.key, None)
            self._say(f"The mark for {report.clean_line(entry.who, 120)} is unchanged.")
            return True
        try:
            on_disk = read_marks(self.marks_path)
        except MarksError as exc:
            self._say(f"Not saved: {report.clean_line(exc)}. Correct or move the file, then press Save again.",
                      warn=True)
            return False
        mark = Mark(level=self.level, comment=self.comment.value, marked_at=now(), name=entry.name,
                    student_id=entry.student_id)
        on_disk[entry.key] = mark
        try:
            write_marks(self.marks_path, on_disk)
        except OSError as exc:
            self._say(f"Not saved: cannot write {self.marks_path}: {exc.strerror or exc}. The mark is kept here; "
                      "press Save again when the folder can be written.", warn=True)
            return False
        self.marks = on_disk
        self.drafts.pop(entry.key, None)
        message = f"Saved: level {self.level} for {report.clean_line(entry.who, 120)}."
        try:
            self.on_save(self.results_dir)
        except Exception as exc:  # noqa: BLE001 - the mark is saved; the teacher only needs to know
            message += (f" The mark is in marks.csv, but the gradebook and feedback were not updated "
                        f"({report.clean_line(exc, 200)}); grading again into this folder folds it in.")
            self._say(message, warn=True)
        else:
            self._say(message)
        self.progress.value = f"<div class='t40-mark-progress-text'>{report.html_text(self.progress_text())}</div>"
        return True

    def save_and_next(self) -> None:
        """Save the mark shown and show the next reflection; the focus moves to its first level button."""
        if not self.save():
            return
        said, warn = self.said
        if self.index + 1 < len(self.entries):
            self.show(self.index + 1)
            self._say(said, warn)
            self.level_buttons[0].focus()
        else:
            self.show(self.index)
            self._say(f"{said} That was the last reflection; {self.progress_text()}.", warn)

    def previous(self) -> None:
        """Show the reflection before this one (changes to the mark shown are kept, not saved)."""
        if not self.entries:
            return
        if self.index == 0:
            self._say("This is the first reflection.")
            return
        note = self._leave()
        self.show(self.index - 1)
        self._say(note, warn=bool(note))

    def skip(self) -> None:
        """Show the next reflection that has no mark, after this one (from the start when needed)."""
        if not self.entries:
            return
        total = len(self.entries)
        for step in range(1, total):
            i = (self.index + step) % total
            if self.entries[i].key not in self.marks:
                note = self._leave()
                self.show(i)
                self._say(note, warn=bool(note))
                self.level_buttons[0].focus()
                return
        if self.current.key not in self.marks:
            self._say("This is the only reflection without a mark.")
        else:
            self._say(f"Every reflection is marked ({self.progress_text()}).")

    @property
    def widget(self) -> MarkingApp:
        return self


def app(results_dir: str | Path | None = None, on_save: Callable[[Path], object] | None = None) -> MarkingApp:
    """The marking app for a results folder (default: ``$TROTSKY1940_RESULTS``, else ``results/01``), as a widget."""
    return MarkingApp(resolve_results(results_dir), on_save=on_save)
