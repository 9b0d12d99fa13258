"""Session-level agreement with human MITI tallies (``mi_coder.evaluate.tallies``): behaviour counts and global
ratings per session, as MITI 4.2.1 coders most often record them, against the machine's volley counts."""

from __future__ import annotations

import json

import pytest

from mi_coder.errors import InputError
from mi_coder.evaluate.metrics import icc_2_1
from mi_coder.evaluate.tallies import read_tallies, summaries, tally_report

from .conftest import ROOT
from .helpers import C, P, coded_session

HEADER = ("Session ID,Coder,GI,Persuade,Persuade with Permission,Question,Simple Reflection,CR,Seek,Affirm,Emphasize,"
          "Confront,Cultivating Change Talk,Softening Sustain Talk,Partnership,Empathy (1-5)\n")


def test_a_coding_sheet_header_is_read_by_behaviour_and_rating_and_other_columns_are_listed(tmp_path):
    path = tmp_path / "tallies.csv"
    path.write_text(HEADER + "s1,JD,4,1,0,9,5,6,2,2,1,0,4,3,4,5\ns2,JD,6,,1,7,4,4,1,1,1,0,,,3,3\n")
    tallies, read = read_tallies(path)
    assert read["session_column"] == "Session ID" and read["not_read"] == ["Coder"]
    assert read["columns"]["PWP"] == "Persuade with Permission" and read["columns"]["Q"] == "Question"
    assert read["columns"]["empathy"] == "Empathy (1-5)" and read["columns"]["SR"] == "Simple Reflection"
    assert tallies["s1"] == {"GI": 4, "PER": 1, "PWP": 0, "Q": 9, "SR": 5, "CR": 6, "SEEK": 2, "AF": 2, "EA": 1,
                             "CON": 0, "cultivating_change_talk": 4, "softening_sustain_talk": 3, "partnership": 4,
                             "empathy": 5}
    assert "PER" not in tallies["s2"] and "cultivating_change_talk" not in tallies["s2"]  # a blank cell: not known


@pytest.mark.parametrize("rows, problem", [
    ("s1,JD,4,1,0,9,5,6,2,2,1,0,4,3,4,5\ns1,JD,4,1,0,9,5,6,2,2,1,0,4,3,4,5\n", "session s1 is listed twice"),
    ("s1,JD,four,1,0,9,5,6,2,2,1,0,4,3,4,5\n", "session s1, column 'GI': 'four' is not a number"),
    ("s1,JD,4,1,0,9,5,6,2,2,1,0,4,3,4,7\n", "'Empathy (1-5)': 7 is outside MITI's 1-5 rating scale"),
    ("s1,JD,-2,1,0,9,5,6,2,2,1,0,4,3,4,5\n", "column 'GI': -2 is not a count"),
])
def test_a_tallies_table_that_would_be_misread_is_refused_naming_the_file_and_the_cell(tmp_path, rows, problem):
    path = tmp_path / "tallies.csv"
    path.write_text(HEADER + rows)
    with pytest.raises(InputError, match="tallies.csv") as caught:
        read_tallies(path)
    assert problem in str(caught.value)
    path.write_text("who,coder,date\n1,JD,2026-01-01\n")
    with pytest.raises(InputError, match="no session column"):
        read_tallies(path)
    path.write_text("session_id,coder,date\n1,JD,2026-01-01\n")
    with pytest.raises(InputError, match="no behaviour count, global rating or quality column"):
        read_tallies(path)


def test_summaries_follow_the_coding_guide_and_are_undefined_without_their_parts():
    got = summaries({"Q": 4, "SR": 2, "CR": 6, "SEEK": 1, "AF": 2, "EA": 0, "PER": 3, "CON": 1,
                     "partnership": 4, "empathy": 3})
    assert got == {"r_q": 2.0, "pct_cr": 0.75, "pct_oq": None, "mi_adherent": 3, "mi_nonadherent": 4,
                   "change_talk_pct": None, "relational": 3.5, "technical": None}
    assert summaries({"OQ": 3, "CQ": 1})["pct_oq"] == 0.75
    assert summaries({"OQ": 1, "CQ": 3, "SR": 2, "CR": 2})["r_q"] == 1.0  # every question, whatever its form
    assert summaries({"Q": 0, "SR": 2, "CR": 2})["r_q"] is None  # no question: undefined, not infinite
    assert summaries({"Q": 4, "CR": 2})["r_q"] is None  # SR not tallied: R:Q cannot be known
    assert summaries({"CT": 3, "ST": 1})["change_talk_pct"] == 0.75


def _session(sid: str, reflections: int, questions: int, gi: int):
    spec = []
    for k in range(max(reflections, questions, gi)):  # one practitioner volley per k: each code counts once in it
        parts = ([("You want to stop.", "SR")] if k < reflections else []) + \
                ([("What would help?", "OQ")] if k < questions else []) + \
                ([("The group meets Tuesdays.", "GI")] if k < gi else [])
        spec += [(P, parts), (C, [("Maybe.", "FN")])]
    return coded_session(spec, sid=sid)


def test_machine_counts_meet_the_human_tallies_of_the_same_session_by_its_name(tmp_path):
    path = tmp_path / "tallies.csv"
    # ids as a coder writes them: file names with an extension, other case; one session never transcribed
    path.write_text("file_name,Q,SR,CR,GI,Change Talk\nS1.txt,3,2,0,1,2\ns2.TXT,5,1,0,4,0\ns3,2,4,0,0,1\n"
                    "lost,1,1,1,1,1\n")
    machine = [_session("s1", 2, 3, 2), _session("s2", 1, 4, 4), _session("s3", 3, 2, 1), _session("extra", 1, 1, 1)]
    report = tally_report(path, machine)["tallies"]
    assert report["sessions_compared"] == 3
    assert report["sessions_not_coded"] == ["lost"] and report["sessions_not_in_table"] == ["extra"]
    gi = report["measures"]["GI"]  # human 1, 4, 0 against machine 2, 4, 1
    assert gi["human_mean"] == round(5 / 3, 3) and gi["machine_mean"] == round(7 / 3, 3)
    assert gi["icc"] == round(icc_2_1([1, 4, 0], [2, 4, 1]), 3)
    q = report["measures"]["Q"]  # the table's Q against the machine's OQ + CQ + Q
    assert (q["human_mean"], q["machine_mean"]) == (round(10 / 3, 3), 3.0)
    assert report["measures"]["r_q"]["human_mean"] == round((2 / 3 + 1 / 5 + 4 / 2) / 3, 3)
    assert "partnership" not in report["measures"]  # no rating in the table: nothing to compare
    # change talk against the machine's utterance counts: every client utterance here is FN
    assert (report["measures"]["CT"]["human_mean"], report["measures"]["CT"]["machine_mean"]) == (1.0, 0.0)
    with pytest.raises(InputError, match="match no transcript's"):
        tally_report(path, [_session("other", 1, 1, 1)])


def test_evaluate_tallies_codes_the_transcripts_and_reports_agreement_per_count_and_rating(tmp_path, capsys):
    from mi_coder.cli import main

    path = tmp_path / "tallies.csv"
    path.write_text(HEADER + "probation_session,JD,4,1,0,9,5,6,2,2,1,0,4,4,4,4\n"
                    "health_session,JD,6,0,1,7,4,4,1,1,1,0,4,3,4,4\n"
                    "low_quality_session,JD,8,6,0,14,1,0,0,0,0,3,1,2,1,2\n")
    examples = sorted(str(p) for p in (ROOT / "data" / "examples").glob("*.txt"))
    assert main(["evaluate", "--tallies", str(path), *examples, "--report", str(tmp_path / "r.json")]) == 0
    out = capsys.readouterr().out
    assert "3 sessions compared" in out and "not compared: cultivating_change_talk, softening_sustain_talk" in out
    report = json.loads((tmp_path / "r.json").read_text())["tallies"]
    assert set(report["measures"]) >= {"GI", "Q", "SR", "CR", "partnership", "empathy", "relational", "r_q"}
    assert all(m["n_sessions"] == 3 for m in report["measures"].values())
    # a folder of transcripts is read as `code` reads it; a transcript that cannot be read is said, the rest compared
    assert main(["evaluate", "--tallies", str(path), str(ROOT / "data" / "examples")]) == 0
    assert "3 sessions compared" in capsys.readouterr().out
    assert main(["evaluate", "--tallies", str(path), *examples, str(tmp_path / "gone.txt")]) == 2
    captured = capsys.readouterr()
    assert "3 sessions compared" in captured.out and "gone.txt: no such file" in captured.err
    assert main(["evaluate", "--tallies", str(path), *examples, "--scheme", "misc"]) == 2
    assert "--scheme has no effect" in capsys.readouterr().err
    (tmp_path / "bad.csv").write_text("session_id,GI\nprobation_session,many\n")
    assert main(["evaluate", "--tallies", str(tmp_path / "bad.csv"), examples[0]]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1  # said before any transcript was coded, in one line
    assert err[-1].startswith("mi-coder: error: ") and "bad.csv" in err[-1] and "'many' is not a number" in err[-1]


def test_mi_coders_own_sessions_table_reads_as_tallies_with_client_talk_per_utterance(tmp_path):
    from mi_coder.io.writer import to_frames
    from mi_coder.scoring import session_scores

    session = coded_session([(P, [("What would help?", "OQ"), ("You want to stop.", "SR")]),
                             (C, [("I want to quit.", "CT"), ("I need to.", "CT"), ("But I like it.", "ST")]),
                             (P, [("You feel torn.", "CR")])], sid="v1")
    to_frames([session], scores=session_scores)["sessions"].to_csv(tmp_path / "sessions.csv", index=False)
    tallies, read = read_tallies(tmp_path / "sessions.csv")
    assert tallies["v1"]["CT"] == 2 and tallies["v1"]["ST"] == 1  # utterances, as MISC counts client talk
    assert (tallies["v1"]["OQ"], tallies["v1"]["SR"], tallies["v1"]["CR"]) == (1, 1, 1)
    assert "empathy_global" in read["not_read"]  # an estimate from codes is not a human rating


def test_quality_labels_give_each_scores_auc_for_high_against_low_sessions_with_mixed_left_out(tmp_path):
    # machine R:Q (reflection volleys / question volleys): high 3, 2, 1 against low 1, 0.5, 0.25 -> AUC 8.5 / 9
    machine = [_session("h1", 3, 1, 0), _session("h2", 2, 1, 0), _session("h3", 2, 2, 0),
               _session("l1", 1, 1, 1), _session("l2", 1, 2, 1), _session("l3", 1, 4, 2), _session("m1", 0, 5, 3)]
    path = tmp_path / "tallies.csv"
    path.write_text("session_id,MI Quality,Q,SR,CR,Partnership\nh1,High,2,1,1,4\nh2,high,2,1,1,5\nh3,HIGH,2,1,1,4\n"
                    "l1,low,2,1,1,2\nl2,Low,2,1,1,3\nl3,low,2,1,1,4\nm1,mixed,2,1,1,3\n")
    quality = tally_report(path, machine)["tallies"]["quality"]
    assert (quality["n_high"], quality["n_low"], quality["n_left_out"]) == (3, 3, 1)
    r_q = quality["machine"]["r_q"]
    assert r_q["auc"] == round(8.5 / 9, 3) and (r_q["n_high"], r_q["n_low"]) == (3, 3)
    low, high = map(float, r_q["auc_95ci"].split("-"))
    assert 0 <= low <= r_q["auc"] <= high <= 1
    assert quality["machine"]["fidelity_index"]["auc"] is not None
    # the table's own measures: its R:Q is 1 everywhere (no separation), its partnership rating 8 / 9
    assert quality["human"]["r_q"]["auc"] == 0.5 and quality["human"]["partnership"]["auc"] == round(8 / 9, 3)
    # a table of quality labels alone is read; a label mi-coder cannot read is refused naming the cell
    path.write_text("session_id,quality\nh1,high\nl1,low\n")
    assert read_tallies(path)[0] == {"h1": {"quality": 1.0}, "l1": {"quality": 0.0}}
    path.write_text("session_id,quality\nh1,excellent\n")
    with pytest.raises(InputError, match="session h1, column 'quality': 'excellent' is not a quality label"):
        read_tallies(path)


def test_evaluate_tallies_with_quality_labels_alone_prints_the_aucs_of_the_machine_scores(tmp_path, capsys):
    from mi_coder.cli import main

    path = tmp_path / "quality.csv"
    path.write_text("transcript_id,mi_quality\nprobation_session,high\nhealth_session,high\nlow_quality_session,low\n")
    examples = sorted(str(p) for p in (ROOT / "data" / "examples").glob("*.txt"))
    assert main(["evaluate", "--tallies", str(path), *examples]) == 0
    out = capsys.readouterr().out
    assert "high vs low MI quality (2 high, 1 low)" in out and "ICC(2,1)" not in out  # no counts: no ICC table
    line = next(row for row in out.splitlines() if row.strip().startswith("fidelity_index"))
    assert float(line.split()[1]) == 1.0  # the example written as a low-quality session scores lowest


def test_coding_sheets_spelled_as_labs_spell_them_are_read_as_the_behaviours_they_count(tmp_path):
    path = tmp_path / "tallies.csv"
    path.write_text("Session,Giving Info,Persuade w/o Permission,Persuade w/ Permission,Number of Questions,"
                    "Simple Reflections,CRs,Affirms,Seeking Collaboration,Emphasizing Autonomy,Confront count,"
                    "Cultivating Change Talk (CCT),SST global,Global Partnership,Empathy (1-5)\n"
                    "s1,4,1,0,9,5,6,2,1,1,0,4,3,4,5\n")
    tallies, read = read_tallies(path)
    assert read["not_read"] == []
    assert tallies["s1"] == {"GI": 4, "PER": 1, "PWP": 0, "Q": 9, "SR": 5, "CR": 6, "AF": 2, "SEEK": 1, "EA": 1,
                             "CON": 0, "cultivating_change_talk": 4, "softening_sustain_talk": 3, "partnership": 4,
                             "empathy": 5}


def test_percentages_ratios_and_miti_3_globals_are_never_read_as_counts(tmp_path):
    path = tmp_path / "tallies.csv"
    # %CR before CR, as a sheet may order them: it was read as the CR count and pushed the real one out
    path.write_text("session_id,R:Q,%CR,% OQ,% MI-adherent,OQ,CQ,SR,CR,Collaboration,Autonomy,Direction,Evocation\n"
                    "s1,1.25,40,75%,80,6,2,6,4,4,4,3,4\n")
    tallies, read = read_tallies(path)
    assert tallies["s1"] == {"r_q": 1.25, "pct_cr": 0.4, "pct_oq": 0.75, "OQ": 6, "CQ": 2, "SR": 6, "CR": 4}
    assert read["not_read"] == ["% MI-adherent", "Collaboration", "Autonomy", "Direction", "Evocation"]
    # a precomputed summary alone is compared with the machine's own
    path.write_text("session_id,R:Q,Percent Complex Reflections\ns1,2,50\ns2,1,25\ns3,0.5,10\n")
    report = tally_report(path, [_session("s1", 2, 1, 0), _session("s2", 1, 1, 0), _session("s3", 1, 2, 0)])
    assert report["tallies"]["measures"]["r_q"]["human_mean"] == round(3.5 / 3, 3)
    assert report["tallies"]["measures"]["r_q"]["machine_mean"] == round(3.5 / 3, 3)
    assert report["tallies"]["measures"]["pct_cr"]["human_mean"] == round(0.85 / 3, 3)


def test_a_question_total_beside_open_and_closed_questions_is_not_counted_twice(tmp_path):
    path = tmp_path / "tallies.csv"
    path.write_text("session_id,Questions,OQ,CQ,SR,CR\ns1,8,6,2,6,4\ns2,5,1,4,2,0\n")
    tallies, read = read_tallies(path)
    assert "Q" not in tallies["s1"] and summaries(tallies["s1"])["r_q"] == 10 / 8
    assert read["not_read"] == ["Questions (the sum of open and closed questions)"]
    # mi-coder's own Q (questions whose form was not coded) is no such total: kept and added
    path.write_text("session_id,Q,OQ,CQ,SR,CR\ns1,1,6,2,6,4\n")
    assert summaries(read_tallies(path)[0]["s1"])["r_q"] == 10 / 9


def test_session_ids_are_matched_by_case_extension_and_leading_zeros_and_never_taken_twice(tmp_path):
    path = tmp_path / "tallies.csv"
    path.write_text("session_id,SR,CR,OQ,CQ\np1.1,4,6,4,3\np1.2,3,0,1,9\nS01.txt,1,1,1,1\n")
    report = tally_report(path, [_session("P1.1", 4, 7, 0), _session("P1.2", 3, 10, 0), _session("s1", 1, 2, 0)])
    assert report["tallies"]["sessions_compared"] == 3 and report["tallies"]["sessions_not_in_table"] == []
    path.write_text("session_id,SR,CR\ns01,1,1\ns02,2,2\nS01,3,3\n")
    with pytest.raises(InputError, match=r"session S01 is listed twice \(as 's01' and 'S01'\)"):
        read_tallies(path)
    path.write_text("session_id,coder,SR,CR\ns01,A,1,1\ns01,B,2,2\n")
    with pytest.raises(InputError, match="the table has a 'coder' column: give each coder's rows as a table"):
        read_tallies(path)
    path.write_text("session_id,SR_1,SR_2\ns01,1,2\n")  # two coders side by side: neither is taken silently
    with pytest.raises(InputError, match="columns 'SR_1' and 'SR_2' are both read as SR"):
        read_tallies(path)


def test_sheet_rows_and_cells_as_spreadsheets_export_them(tmp_path):
    path = tmp_path / "tallies.csv"
    # semicolons with decimal commas, NA and "-" as blanks, a totals row and a mean row under the sessions
    path.write_text("ID;SR;CR;Empathy\ns1;4;NA;4,5\ns2;-;2;3\nTotal;4;2;7,5\nMean;2;1;3,75\n", encoding="cp1252")
    tallies, read = read_tallies(path)
    assert tallies == {"s1": {"SR": 4, "empathy": 4.5}, "s2": {"CR": 2, "empathy": 3}}
    assert read["session_column"] == "ID" and read["summary_rows"] == ["Total", "Mean"]
    path.write_text("session_id,SR\ns1,4\n,5\n")  # a merged cell exported blank: the row is not dropped in silence
    with pytest.raises(InputError, match="row 3 has values but no session id"):
        read_tallies(path)
    path.write_text("session_id,HQ/LQ\ns1,HQ\ns2,LQ\ns3,\n")
    assert read_tallies(path)[0] == {"s1": {"quality": 1.0}, "s2": {"quality": 0.0}, "s3": {}}
    path.write_text('session_id,Empathy,GI\ns1,"4,5",3\ns2,4,"1,250"\n')  # a quoted decimal comma; a thousands mark
    with pytest.raises(InputError, match="session s2, column 'GI': '1,250' is not a number"):
        read_tallies(path)


@pytest.mark.parametrize("content, problem", [
    (b"", "file is empty"),
    (b"session_id\ns01\n", "no behaviour count, global rating or quality column"),
    (None, "a folder: --tallies takes one table"),
])
def test_a_tallies_file_that_is_no_table_is_one_line_naming_it(tmp_path, capsys, content, problem):
    from mi_coder.cli import main

    path = tmp_path / "tallies.csv"
    if content is None:
        path.mkdir()
    else:
        path.write_bytes(content)
    assert main(["evaluate", "--tallies", str(path), str(ROOT / "data" / "examples" / "health_session.txt")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "tallies.csv" in err[0] and problem in err[0]
    assert "Unnamed" not in err[0]  # a one-column table is not split on a letter of its header
