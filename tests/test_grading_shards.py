"""Grading past one machine: ``grade --shard I/N`` and ``grade merge`` (:mod:`trotsky1940.grading.shards`).

Two shards graded locally (in the real sandbox) and merged give the gradebook and the feedback folder that one
run over all the files gives; a merge run again changes nothing; a shard missing, given twice or from another
class is named. The Kubernetes manifests in deploy/k8s/ are valid YAML, an Indexed Job whose pods turn
JOB_COMPLETION_INDEX into ``--shard I/N``.
"""

from __future__ import annotations

import csv
import json
import random
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
import yaml

from trotsky1940.grading.shards import Shard, ShardError

from .conftest import in_ci
from .helpers import ROOT, one_worker
from .test_grading import answer_cell, auto_ids, perfect, student

pytestmark = [pytest.mark.slow, pytest.mark.sandbox]  # grades real submissions in the sandbox

REFERENCE = ROOT / "exercises" / "reference" / "01-background.ipynb"
MANIFESTS = ROOT / "deploy" / "k8s"


# -- which share ------------------------------------------------------------------------------------------
def test_shard_numbers_are_read_from_i_of_n():
    assert (Shard.parse("2/3").index, Shard.parse(" 2 / 3 ").count) == (2, 3)
    for bad in ("0/3", "4/3", "3", "a/b", "-1/2", "1/0"):
        with pytest.raises(ShardError, match="I/N"):
            Shard.parse(bad)


def test_shares_are_fixed_by_the_names_alone_and_balanced():
    names = [f"class-9c/student-{i:02d}.ipynb" for i in range(23)]
    owner = Shard(1, 4).owner(names)
    shuffled = names[:]
    random.Random(7).shuffle(shuffled)
    assert Shard(1, 4).owner(shuffled) == owner  # never the order a file system lists them in
    sizes = sorted(list(owner.values()).count(i) for i in range(1, 5))
    assert sizes == [5, 6, 6, 6] and set(owner.values()) == {1, 2, 3, 4}
    # pinned: the same names give the same shares on every machine and in every later version
    assert Shard(1, 3).owner([f"class/student-{i:02d}.ipynb" for i in range(6)]) == {
        "class/student-00.ipynb": 1, "class/student-01.ipynb": 2, "class/student-02.ipynb": 3,
        "class/student-03.ipynb": 3, "class/student-04.ipynb": 2, "class/student-05.ipynb": 1}


def test_select_takes_this_shards_items_only():
    class Item:
        def __init__(self, label):
            self.label = label

    items = [Item(f"c/{i}.ipynb") for i in range(10)]
    picked = [Shard(i, 3) for i in (1, 2, 3)]
    shares = [{item.label for item in shard.select(items)} for shard in picked]
    assert set.union(*shares) == {item.label for item in items} and sum(map(len, shares)) == 10
    assert len({shard.class_sha256 for shard in picked}) == 1 and picked[0].total == 10


# -- two shards against one run, in the sandbox ------------------------------------------------------------
def run_grade(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "trotsky1940", "grade", *args], capture_output=True, text=True,
                          cwd=cwd, timeout=600)


def gradebook(folder: Path) -> list[dict]:
    with (folder / "gradebook.csv").open(encoding="utf-8", newline="") as handle:
        return [{k: v for k, v in row.items() if k != "graded_at"} for row in csv.DictReader(handle)]


def pages(folder: Path) -> dict[str, str]:
    """The feedback pages, without the line that says when each file was graded (or checked)."""
    return {p.name: "\n".join(line for line in p.read_text(encoding="utf-8").splitlines()
                              if "Graded:" not in line and "Checked:" not in line)
            for p in sorted((folder / "feedback").iterdir())}


@pytest.fixture(scope="module")
@one_worker
def sharded(tmp_path_factory):
    if not shutil.which("bwrap"):
        if in_ci():
            pytest.fail("CI=true: bubblewrap is not installed", pytrace=False)
        pytest.skip("bubblewrap is not installed (apt-get install bubblewrap)")
    place = tmp_path_factory.mktemp("shards")
    folder = place / "class"
    folder.mkdir()
    wrong = perfect()
    for qid in auto_ids():
        answer_cell(wrong, qid).source = f"answer_{qid} = 0"
    half = perfect()
    for qid in auto_ids()[: len(auto_ids()) // 2]:
        answer_cell(half, qid).source = f"answer_{qid} = 0"
    for name, nb in (("ana.ipynb", perfect()), ("ben.ipynb", half), ("cleo.ipynb", student()),
                     ("dan.ipynb", wrong), ("eve.ipynb", half)):
        nbformat.write(nb, folder / name)
    runs = {"full": run_grade(str(REFERENCE), "class", "--out", "full", "--quiet", cwd=place)}
    for i in (1, 2):
        runs[f"s{i}"] = run_grade(str(REFERENCE), "class", "--out", f"s{i}", "--shard", f"{i}/2", cwd=place)
    runs["merged"] = run_grade("merge", "s1", "s2", "--out", "merged", cwd=place)
    return place, runs


def test_two_shards_merge_to_the_gradebook_of_one_run(sharded):
    place, runs = sharded
    shares = [{row["submission"] for row in gradebook(place / f"s{i}")} for i in (1, 2)]
    assert shares[0] and shares[1] and not shares[0] & shares[1]
    for name, result in runs.items():  # 1: not every file was graded (cleo handed in a blank notebook)
        blank = name in ("full", "merged") or "class/cleo.ipynb" in shares[int(name[-1]) - 1]
        assert result.returncode == (1 if blank else 0), (name, result.stdout, result.stderr)
    assert "shard 1/2: " in runs["s1"].stdout and "grade merge" in runs["s1"].stdout
    full, merged = gradebook(place / "full"), gradebook(place / "merged")
    assert len(full) == 5 and merged == full
    assert pages(place / "merged") == pages(place / "full")
    assert "same answers as" in next(r for r in merged if r["submission"].endswith("ben.ipynb"))["same_answers"]
    state = json.loads((place / "merged" / "results.json").read_text(encoding="utf-8"))
    assert [m["shard"] for m in state["merged_from"]] == ["1/2", "2/2"]
    assert all("pending" not in entry for entry in state["submissions"])


def test_merging_again_changes_nothing(sharded):
    place, _ = sharded
    before = {p.name: p.read_bytes() for p in (place / "merged").rglob("*") if p.is_file()}
    again = run_grade("merge", "s2", "s1", "--out", "merged", cwd=place)
    assert again.returncode == 1 and "the same as the last merge" in again.stdout, again.stderr
    after = {p.name: p.read_bytes() for p in (place / "merged").rglob("*") if p.is_file()}
    assert after == before and not (place / "merged" / "previous").exists()


def test_a_missing_duplicated_or_foreign_shard_is_named(sharded):
    place, _ = sharded
    missing = run_grade("merge", "s1", "--out", "m1", cwd=place)
    assert missing.returncode == 2 and "shard 2/2 missing" in missing.stderr and "--shard 2/2" in missing.stderr
    assert not (place / "m1").exists()
    shutil.copytree(place / "s2", place / "s2-copy")
    twice = run_grade("merge", "s1", "s2", "s2-copy", "--out", "m2", cwd=place)
    assert twice.returncode == 1 and "given twice" in twice.stdout and gradebook(place / "m2") == gradebook(
        place / "merged")
    state = json.loads((place / "s2-copy" / "results.json").read_text(encoding="utf-8"))
    state["submissions"][0]["scores"] = {qid: 9 for qid in auto_ids()}
    (place / "s2-copy" / "results.json").write_text(json.dumps(state), encoding="utf-8")
    differ = run_grade("merge", "s1", "s2", "s2-copy", "--out", "m3", cwd=place)
    assert differ.returncode == 2 and "given twice with different results" in differ.stderr
    whole = run_grade("merge", "s1", "full", "--out", "m4", cwd=place)
    assert whole.returncode == 2 and "not of a shard" in whole.stderr
    into_run = run_grade("merge", "s1", "s2", "--out", "full", cwd=place)
    assert into_run.returncode == 2 and "not of a merge" in into_run.stderr
    roster = run_grade(str(REFERENCE), "class", "--out", "s9", "--shard", "1/2", "--roster", "r.csv", cwd=place)
    assert roster.returncode == 2 and "give --roster to grade merge" in roster.stderr


# -- Kubernetes --------------------------------------------------------------------------------------------
def manifests() -> dict[str, list[dict]]:
    return {p.name: [d for d in yaml.safe_load_all(p.read_text(encoding="utf-8")) if d]
            for p in sorted(MANIFESTS.glob("*.yaml"))}


def test_the_kubernetes_manifests_are_an_indexed_job_and_a_merge_job():
    found = manifests()
    assert set(found) == {"grading-job.yaml", "merge-job.yaml"}
    (job,) = found["grading-job.yaml"]
    assert (job["apiVersion"], job["kind"], job["spec"]["completionMode"]) == ("batch/v1", "Job", "Indexed")
    pod = job["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    env = {e["name"]: e["value"] for e in container["env"]}
    assert int(env["SHARDS"]) == job["spec"]["completions"]
    assert pod["restartPolicy"] == "Never" and pod["securityContext"]["runAsNonRoot"] is True
    assert container["securityContext"]["allowPrivilegeEscalation"] is False
    assert container["securityContext"]["capabilities"]["drop"] == ["ALL"]
    assert (ROOT / "exercises" / "reference" / f"{env['EXERCISE']}.ipynb").exists()
    (merge,) = found["merge-job.yaml"]
    assert merge["kind"] == "Job" and "grade merge" in merge["spec"]["template"]["spec"]["containers"][0]["args"][0]


def test_each_pod_grades_its_own_shard_and_a_blank_submission_does_not_fail_it(tmp_path):
    (job,) = manifests()["grading-job.yaml"]
    container = job["spec"]["template"]["spec"]["containers"][0]
    env = {e["name"]: e["value"] for e in container["env"]}
    script = container["args"][0].replace("python -m trotsky1940", f"{tmp_path}/fake")
    fake = tmp_path / "fake"
    fake.write_text('#!/bin/sh\necho "$@" >> "$LOG"\nexit "$FAKE_EXIT"\n')
    fake.chmod(0o755)
    script = script.replace("/data/", f"{tmp_path}/data/")
    shards = []
    for index in range(job["spec"]["completions"]):
        for code, expected in ((1, 0), (2, 2)):
            log = tmp_path / f"log-{index}-{code}"
            result = subprocess.run(["/bin/sh", "-c", script], capture_output=True, text=True,
                                    env={**env, "JOB_COMPLETION_INDEX": str(index), "LOG": str(log),
                                         "FAKE_EXIT": str(code), "PATH": "/usr/bin:/bin"})
            assert result.returncode == expected, result.stderr
            args = log.read_text().split()
            shards.append(args[args.index("--shard") + 1])
            assert args[args.index("--out") + 1].endswith(f"shard-{index + 1}-of-{env['SHARDS']}")
    assert sorted(set(shards)) == [f"{i}/{env['SHARDS']}" for i in range(1, int(env["SHARDS"]) + 1)]
