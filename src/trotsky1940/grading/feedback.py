"""Feedback a teacher can hand back: one print-friendly HTML page and one Markdown file per submission.

Used by :func:`trotsky1940.grading.gradebook.rebuild`, outside every sandbox. Each page gives the student's
name, the exercise, and per question what they answered (as graded), whether it is right, and the hint; the
reflection as plain text with the teacher's rubric level and comment once marked; and, where the student's own
notebook showed "Right." for an answer that was graded otherwise, why. Student text is escaped (HTML) or fenced
(Markdown): nothing a student wrote renders as markup.
"""

from __future__ import annotations

from pathlib import Path

from . import report

RESULT_WORDS = {"right": "Right", "not right": "Not yet", "not reached": "Not reached (the run stopped before it)",
                "no answer cell found": "No answer cell found"}
STYLE = """
body { font: 17px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #111; margin: 2rem auto;
       max-width: 48rem; padding: 0 1rem; }
h1 { font-size: 1.6rem; margin-bottom: .2rem; } h2 { font-size: 1.2rem; margin-top: 1.6rem; }
table { border-collapse: collapse; width: 100%; } th, td { border: 1px solid #888; padding: .35rem .5rem;
       text-align: left; vertical-align: top; } th { background: #eee; }
.right { font-weight: 600; } .notyet { font-weight: 600; text-decoration: underline; }
pre { white-space: pre-wrap; overflow-wrap: anywhere; border: 1px solid #888; padding: .6rem; font: inherit; }
.meta { color: #333; } .prompt { font-weight: 400; font-size: .9em; }
.note { border-left: 4px solid #333; padding-left: .8rem; }
@media print { body { margin: 0; max-width: none; font-size: 12pt; } th { background: none; }
               h2 { break-after: avoid; } tr, pre { break-inside: avoid; } }
"""


def _short(text: str, limit: int = 110) -> str:
    """The start of a question's text, cut at a word."""
    line = report.clean_line(text)
    if len(line) <= limit:
        return line
    return line[:limit].rsplit(" ", 1)[0].rstrip(",;:.") + " …"


def _rubric_levels(exercise: str) -> dict[int, str]:
    """Level -> the rubric's general description (from teachers/guide.md), or {} when it cannot be read."""
    try:
        from .marks import rubric

        found = rubric(exercise)
    except Exception:  # noqa: BLE001 - the page is still useful without the rubric's words
        return {}
    return {level.level: level.general for level in found.levels}


def _mismatch(qid: str, shown: str, graded: str | None) -> str:
    if graded is not None and graded != shown:
        return (f"Your notebook showed \u201cRight.\u201d for {qid} with the answer {shown}, but the answer cell you "
                f"handed in gives {graded} when the notebook runs from the top. The answer was probably changed "
                "after its check was run, or it depends on a cell that ran out of order. Before you hand in, use "
                "Kernel \u2192 Restart Kernel and Run All Cells, then save.")
    return (f"Your notebook showed \u201cRight.\u201d for {qid}, but your teacher's copy of the exercise checks it "
            "differently. Ask your teacher about it.")


def content(state: dict, entry: dict, row: dict, marks: dict) -> dict:
    """Everything one page says, as plain (unescaped) text, for both renderings."""
    person = entry.get("identity") or {}
    name = person.get("name") or person.get("student_id") or ""
    from .gradebook import student_status

    page: dict = {"name": name, "submission": entry.get("submission", ""), "heading": state.get("heading", ""),
                  "status": student_status(entry), "kind": entry.get("kind", ""),
                  "graded_at": entry.get("graded_at", ""), "questions": [], "hints": [], "mismatches": [],
                  "reflections": []}
    if entry.get("kind") != "graded":
        page["advice"] = {
            "not attempted": "No answer was changed from the notebook as it was handed out. Write your answers, "
                             "run every cell, save, and hand it in again.",
            "wrong exercise": "This is the notebook of another exercise. Hand in the notebook of this exercise, "
                              "or ask your teacher to grade it with the other one.",
            "wrong variant": "This notebook was made for another class set of this exercise. Ask your teacher "
                             "which notebook to use, or to grade it with the set it was made for.",
        }.get(entry.get("kind", ""), "This file could not be graded. Ask your teacher, and hand in the notebook "
                                     "again (in JupyterLab: File \u2192 Save, then upload the .ipynb file).")
        return page
    levels = _rubric_levels(state["exercise"])
    answers = entry.get("answers") or {}
    details = entry.get("details") or {}
    scores = entry.get("scores") or {}
    shown = entry.get("shown_right") or {}
    page["score"] = f"{row['total']} of {row['max']} auto-graded points"
    page["grand"] = (f"{row['grand_total']} of {row['grand_max']} points in all" if row["grand_total"] != ""
                     else "")
    for q in state["questions"]:
        if q["kind"] != "auto":
            continue
        result = details.get(q["id"], "not reached")
        page["questions"].append({"id": q["id"], "prompt": q.get("prompt", ""),
                                  "answer": answers.get(q["id"]) or "(no answer)",
                                  "result": RESULT_WORDS.get(result, result), "right": result == "right",
                                  "points": f"{scores.get(q['id'], 0)} / {q['points']}"})
        if result != "right":
            page["hints"].append((q["id"], q.get("hint", "")))
            if q["id"] in shown:
                page["mismatches"].append(_mismatch(q["id"], shown[q["id"]], answers.get(q["id"])))
    mine = {question: mark for (submission, question), mark in marks.items() if submission == entry.get("submission")}
    for q in state["questions"]:
        if q["kind"] != "reflection":
            continue
        mark = mine.get(q["id"])
        page["reflections"].append({
            "id": q["id"], "prompt": q.get("prompt", ""), "text": (entry.get("reflections") or {}).get(q["id"], ""),
            "level": None if mark is None else mark.level,
            "level_text": "" if mark is None else levels.get(mark.level, ""),
            "comment": "" if mark is None else mark.comment})
    return page


def markdown(page: dict) -> str:
    m = report.md_inline
    lines = [f"# Feedback: {m(page['name'] or page['submission'])}", "", f"{m(page['heading'])}  ",
             f"File: {m(page['submission'])}  ", f"Status: {m(page['status'])}  ",
             f"{'Graded' if page['kind'] == 'graded' else 'Checked'}: {m(page['graded_at'] or 'not graded')}", ""]
    if "advice" in page:
        return "\n".join([*lines, m(page["advice"])]) + "\n"
    lines += [f"**Score:** {m(page['score'])}" + (f"; {m(page['grand'])}" if page["grand"] else ""), "",
              "| Question | Your answer (as graded) | Result | Points |", "|---|---|---|---|"]
    for q in page["questions"]:
        prompt = f": {m(_short(q['prompt']))}" if q["prompt"] else ""
        lines.append(f"| {m(q['id'])}{prompt} | {m(q['answer'])} | {m(q['result'])} | {m(q['points'])} |")
    if page["mismatches"]:
        lines += ["", "## Why a check that showed \u201cRight.\u201d scored no points", ""]
        lines += [f"- {m(text)}" for text in page["mismatches"]]
    if page["hints"]:
        lines += ["", "## Hints for the questions to look at again", ""]
        lines += [f"- **{m(qid)}**: {m(hint)}" for qid, hint in page["hints"]]
    for r in page["reflections"]:
        lines += ["", f"## Your answer to {m(r['id'])} (your teacher marks this one)", "",
                  report.md_block(r["text"]), ""]
        if r["level"] is None:
            lines.append("Not marked yet.")
        else:
            lines.append(f"**Level {r['level']} of 3**" + (f": {m(r['level_text'])}" if r["level_text"] else ""))
            if r["comment"]:
                lines += ["", "Your teacher's comment:", "", report.md_block(r["comment"])]
    return "\n".join(lines) + "\n"


def html_page(page: dict) -> str:
    h = report.html_text
    title = f"Feedback: {page['name'] or page['submission']}"
    parts = ["<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
             '<meta name="viewport" content="width=device-width, initial-scale=1">', f"<title>{h(title)}</title>",
             f"<style>{STYLE}</style>", "</head>", "<body>", "<main>", f"<h1>{h(title)}</h1>",
             f'<p class="meta">{h(page["heading"])}<br>File: {h(page["submission"])}<br>'
             f'Status: {h(page["status"])}<br>{"Graded" if page["kind"] == "graded" else "Checked"}: '
             f'{h(page["graded_at"] or "not graded")}</p>']
    if "advice" in page:
        parts.append(f'<p class="note">{h(page["advice"])}</p>')
    else:
        parts.append(f"<p><strong>Score:</strong> {h(page['score'])}" + (f"; {h(page['grand'])}" if page["grand"]
                                                                          else "") + "</p>")
        parts += ["<table>", "<caption>Your answers, as the grader read them</caption>",
                  '<thead><tr><th scope="col">Question</th><th scope="col">Your answer (as graded)</th>'
                  '<th scope="col">Result</th><th scope="col">Points</th></tr></thead>', "<tbody>"]
        for q in page["questions"]:
            css = "right" if q["right"] else "notyet"
            prompt = f'<br><span class="prompt">{h(_short(q["prompt"]))}</span>' if q["prompt"] else ""
            parts.append(f'<tr><th scope="row">{h(q["id"])}{prompt}</th><td>{h(q["answer"])}</td>'
                         f'<td class="{css}">{h(q["result"])}</td><td>{h(q["points"])}</td></tr>')
        parts += ["</tbody>", "</table>"]
        if page["mismatches"]:
            parts.append("<h2>Why a check that showed \u201cRight.\u201d scored no points</h2><ul>")
            parts += [f"<li>{h(text)}</li>" for text in page["mismatches"]]
            parts.append("</ul>")
        if page["hints"]:
            parts.append("<h2>Hints for the questions to look at again</h2><ul>")
            parts += [f"<li><strong>{h(qid)}</strong>: {h(hint)}</li>" for qid, hint in page["hints"]]
            parts.append("</ul>")
        for r in page["reflections"]:
            parts += [f"<h2>Your answer to {h(r['id'])} (your teacher marks this one)</h2>",
                      f"<pre>{h(r['text'] or '(no answer)')}</pre>"]
            if r["level"] is None:
                parts.append("<p>Not marked yet.</p>")
            else:
                text = f"Level {r['level']} of 3" + (f": {r['level_text']}" if r["level_text"] else "")
                parts.append(f"<p><strong>{h(text)}</strong></p>")
                if r["comment"]:
                    parts += ["<p>Your teacher's comment:</p>", f"<pre>{h(r['comment'])}</pre>"]
    parts += ["</main>", "</body>", "</html>", ""]
    return "\n".join(parts)


def write_all(out: Path, state: dict, marks: dict, table: list[dict]) -> int:
    """Write every submission's page (HTML and Markdown) into ``out/feedback/`` and remove pages of earlier
    renderings that no longer belong to anyone; return the number of submissions with a page."""
    from .gradebook import remove_stale

    folder = Path(out) / "feedback"
    folder.mkdir(exist_ok=True)
    by_submission = {row["submission"]: row for row in table if row["submission"]}
    keep: set[str] = set()
    for entry in state["submissions"]:
        stem = entry.get("feedback")
        if not stem:
            continue
        page = content(state, entry, by_submission[entry["submission"]], marks)
        name = Path(stem).name
        report.write_atomic(folder / f"{name}.html", html_page(page))
        report.write_atomic(folder / f"{name}.md", markdown(page))
        keep |= {f"{name}.html", f"{name}.md"}
    remove_stale(folder, keep)
    return len(keep) // 2
