"""MISC 2.5 codes mapped onto MITI 4.2.1 for evaluation and training (mi_coder.schemes, evaluate --scheme misc)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from mi_coder.schemes import GROUPS, MISC_TO_MITI, to_miti

from .conftest import FIXTURES


@pytest.mark.parametrize("misc, role, miti", [
    ("OQ", "counsellor", "OQ"), ("RF", "counsellor", "CR"), ("AF", "counsellor", "AF"), ("EC", "counsellor", "EA"),
    ("ADP", "counsellor", "PWP"), ("RCP", "counsellor", "PWP"), ("ADW", "counsellor", "PER"), ("DI", "counsellor", "PER"),
    ("WA", "counsellor", "CON"), ("CO", "counsellor", "CON"), ("SU", "counsellor", "NC"), ("FA", "counsellor", "NC"),
    ("FI", "counsellor", "NC"), ("ST", "practitioner", "NC"), ("ST", "client", "ST"), ("C", "client", "CT"),
    ("S", "client", "ST"), ("N", "client", "FN"),
])
def test_misc_codes_map_to_miti_by_role(misc, role, miti):
    assert to_miti(misc, role, "misc") == miti


def test_every_mapped_code_has_a_group_and_unknown_codes_are_none():
    assert all(GROUPS[code] for code in MISC_TO_MITI.values())
    assert to_miti("XYZ", "practitioner", "misc") is None


def test_evaluate_with_the_misc_scheme_reports_per_code_and_group_agreement(tmp_path):
    report = tmp_path / "r.json"
    result = subprocess.run([sys.executable, "-m", "mi_coder", "evaluate", "--scheme", "misc",
                             str(FIXTURES / "misc_coded.csv"), "--report", str(report)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "practitioner code groups: kappa" in result.stdout
    rep = json.loads(report.read_text())["heldout"][str(FIXTURES / "misc_coded.csv")]
    assert rep["n"] == 13
    assert {"AF", "PWP", "EA", "PER", "NC", "CT", "ST", "FN"} <= {c for c, m in rep["per_code"].items() if m["support"]}
    assert rep["client"]["n"] == 4 and 0.0 <= rep["question_f1"] <= 1.0


def test_an_unknown_misc_code_is_a_one_line_error_naming_the_file(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("session_id,turn_id,utterance_id,speaker,text,misc_code\nm,0,0,counsellor,Hi.,ZZ\n"
                   "m,1,1,client,Hi.,N\n")
    result = subprocess.run([sys.executable, "-m", "mi_coder", "evaluate", "--scheme", "misc", str(bad)],
                            capture_output=True, text=True)
    assert result.returncode == 2
    assert result.stderr.strip().endswith("'ZZ' is not a MISC code")
    assert str(bad) in result.stderr and "Traceback" not in result.stderr


def test_an_evaluation_names_the_model_and_profile_it_measured(tmp_path):
    report = tmp_path / "r.json"
    result = subprocess.run([sys.executable, "-m", "mi_coder", "evaluate", "--scheme", "misc", "--profile", "sessions",
                             str(FIXTURES / "misc_coded.csv"), "--report", str(report)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "sessions profile" in result.stdout.splitlines()[0]
    assert json.loads(report.read_text())["model"].endswith("sessions profile")


def test_misc_2_5_abbreviations_and_valenced_client_codes_map_to_miti():
    from mi_coder.schemes import to_miti

    assert [to_miti(c, "practitioner") for c in ("QUO", "QUC", "RES", "REC")] == ["OQ", "CQ", "SR", "CR"]
    assert [to_miti(c, "client") for c in ("R+", "D+", "TS+", "N-", "C-", "ASK", "FN")] == \
        ["CT", "CT", "CT", "ST", "ST", "FN", "FN"]
    assert to_miti("N", "client") == "FN"  # the three-way sets' neutral, as the external set uses it


def test_misc_coded_tables_train_and_compare_with_scheme_misc(tmp_path, capsys):
    import pandas as pd

    from mi_coder.cli import main
    from mi_coder.train.fit import load_training_data

    rows = [("1", "practitioner", "What brings you in today?", "QUO"), ("2", "client", "My drinking, I guess.", "N"),
            ("3", "practitioner", "You're worried about it.", "RES"), ("4", "client", "I want to cut down.", "D+"),
            ("5", "practitioner", "Did you drink last night?", "QUC"), ("6", "client", "I don't see a problem.", "R-")]
    table = pd.DataFrame(rows, columns=["turn_id", "speaker", "text", "code"]).assign(session_id="s")
    table.to_csv(tmp_path / "misc.csv", index=False)
    data = load_training_data([tmp_path / "misc.csv"], scheme="misc")
    assert list(data.examples["code"]) == ["OQ", "FN", "SR", "CT", "CQ", "ST"]
    assert data.sources[0]["layout"] == "coded table (MISC codes mapped to MITI 4.2.1)"
    assert main(["evaluate", "--agreement", "--scheme", "misc", str(tmp_path / "misc.csv"),
                 str(tmp_path / "misc.csv")]) == 0
    assert "kappa 1.0" in capsys.readouterr().out
    from mi_coder.errors import InputError

    with pytest.raises(InputError, match="unknown code 'QUO'"):
        load_training_data([tmp_path / "misc.csv"])  # read as MITI, "QUO" is no code


def test_misc_agreement_says_it_compares_mapped_codes_and_gives_the_misc_codes_own_kappa(tmp_path):
    # a researcher's audit: ADW against DI and FA against FI counted as agreement (both map to one MITI code), and
    # the output did not say so: "MISC inter-rater reliability" read 0.886 where the MISC codes give 0.735
    import pandas as pd

    from mi_coder.evaluate.agreement import agreement_report

    rows = [("1", "T", "You should go to group.", "ADW", "DI"), ("2", "C", "Maybe.", "N", "N"),
            ("3", "T", "Mm-hmm.", "FA", "FI"), ("4", "C", "I want to stop.", "C", "C"),
            ("5", "T", "What would help?", "OQ", "OQ"), ("6", "C", "My sister.", "N", "N")]
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    for path, pick in ((a, 3), (b, 4)):
        pd.DataFrame([("s", r[0], r[1], r[2], r[pick]) for r in rows],
                     columns=["session_id", "utterance_id", "speaker", "text", "code"]).to_csv(path, index=False)
    report = agreement_report(a, b, scheme="misc")["agreement"]
    assert report["overall"]["kappa"] == 1.0  # PER/PER, NC/NC after the mapping
    original = report["original_codes"]
    assert original["scheme"] == "misc" and original["n"] == 6 and original["kappa"] < 0.8
    assert "mapped from MISC to MITI 4.2.1" in original["note"]


def test_a_miti_table_read_as_misc_is_refused_with_what_to_do(tmp_path):
    import pandas as pd

    from mi_coder.errors import InputError
    from mi_coder.evaluate.agreement import read_coded

    path = tmp_path / "utterances.csv"
    pd.DataFrame([("s", "1", "T", "You should quit now.", "PER"), ("s", "2", "C", "Hi.", "FN")],
                 columns=["session_id", "utterance_id", "speaker", "text", "code"]).to_csv(path, index=False)
    with pytest.raises(InputError, match="'PER' is not a MISC code .*it is a MITI code.*applies to every table given"):
        read_coded(path, scheme="misc")


def test_a_misc_valence_kept_in_its_own_column_gives_change_or_sustain_talk(tmp_path):
    # a dataset audit: "C" with valence "-" was counted as change talk, and "R" with a valence refused
    import pandas as pd

    from mi_coder.evaluate.agreement import read_coded

    path = tmp_path / "misc.csv"
    pd.DataFrame([("s", "T", "What would help?", "QUO", ""), ("s", "C", "I'll never manage it.", "C", "-"),
                  ("s", "T", "It feels out of reach.", "REC", ""), ("s", "C", "My kids need me sober.", "R", "+"),
                  ("s", "T", "Your kids.", "RES", ""), ("s", "C", "Yeah.", "FN", "")],
                 columns=["session_id", "speaker", "text", "misc_code", "valence"]).to_csv(path, index=False)
    codes = [u.code for _, u in read_coded(path, scheme="misc")[0].utterances()]
    assert codes == ["OQ", "ST", "CR", "CT", "SR", "FN"]


def test_collapsed_client_codes_are_read_and_collapsed_practitioner_group_codes_refused_saying_why(tmp_path):
    import pandas as pd

    from mi_coder.errors import InputError
    from mi_coder.evaluate.agreement import read_coded

    path = tmp_path / "cao.csv"
    rows = [("s", "T", "What would help?", "QUO"), ("s", "C", "I want to quit.", "POS"),
            ("s", "T", "You want to quit.", "RES"), ("s", "C", "But I like it.", "NEG")]
    pd.DataFrame(rows, columns=["session_id", "speaker", "text", "code"]).to_csv(path, index=False)
    assert [u.code for _, u in read_coded(path, scheme="misc")[0].utterances()] == ["OQ", "CT", "SR", "ST"]
    rows[2] = ("s", "T", "Good for you.", "MIA")
    pd.DataFrame(rows, columns=["session_id", "speaker", "text", "code"]).to_csv(path, index=False)
    with pytest.raises(InputError, match="'MIA' is not a MISC code .*collapsed group codes"):
        read_coded(path, scheme="misc")


def test_a_table_whose_codes_sit_under_a_name_of_their_own_is_pointed_to_it_and_automisc_labels_are_refused_saying_why(
        tmp_path, capsys):
    import pandas as pd

    from mi_coder.cli import main

    # the layout of MIBot's conversations.csv: AutoMISC's coarse labels in 'AutoMISCLabel'
    path = tmp_path / "conversations.csv"
    pd.DataFrame([("P01", "counsellor", 1, "Thanks for coming.", "Other"),
                  ("P01", "counsellor", 1, "What brings you here?", "Q"),
                  ("P01", "client", 2, "My drinking.", "N"), ("P01", "counsellor", 3, "You're worried.", "R")],
                 columns=["ParticipantID", "Speaker", "Volley#", "Utterance", "AutoMISCLabel"]).to_csv(path, index=False)
    for command in (["evaluate", str(path)], ["score", str(path), "--out", str(tmp_path / "s")],
                    ["train", str(path), "--out", str(tmp_path / "t")]):
        assert main(command) == 2
        err = capsys.readouterr().err
        assert "the column 'AutoMISCLabel' may hold them: name it with --code-col 'AutoMISCLabel'" in err, command
    assert main(["evaluate", str(path), "--code-col", "AutoMISCLabel"]) == 2
    err = capsys.readouterr().err
    assert "unknown code 'OTHER'" in err and "AutoMISC's coarse labels" in err and "no one MITI 4.2.1 code" in err


def test_a_peer_support_table_with_spelled_out_miti_derived_labels_reads_with_scheme_misc(tmp_path, capsys):
    """The layout of Welivita & Pu's MI dataset (COLING 2022), the issue's "counselling forum text": a seeker and a
    listener, sentences as rows, codes spelled out in a 'final agreed label' column, '-' where the coders gave none."""
    import pandas as pd

    from mi_coder.cli import main
    from mi_coder.evaluate.agreement import read_coded

    labels = [("speaker", "I drink every night since I lost my job.", ""),
              ("listener", "That sounds really hard.", "Support"),
              ("listener", "What does a typical night look like?", "Open Question"),
              ("speaker", "Six beers, maybe more.", ""),
              ("listener", "You're worried it is getting out of hand.", "Complex Reflection"),
              ("listener", "Have you seen a doctor?", "Closed Question"),
              ("listener", "You should see one this week.", "Advise without Permission"),
              ("listener", "Call the clinic tomorrow.", "Direct"),
              ("listener", "If you keep this up you'll lose your license.", "Warn"),
              ("listener", "It took courage to write this.", "Affirm"),
              ("listener", "I went through the same thing.", "Self-Disclose"),
              ("listener", "Can I share what helped me?", "-"),
              ("speaker", "Sure.", ""),
              ("listener", "Some people find a support group helps.", "Advise with Permission"),
              ("listener", "Drinking alone raises the risk of dependence.", "Give Information"),
              ("listener", "Whether you cut down is your decision.", "Emphasize Autonomy"),
              ("listener", "You drink to forget the job.", "Simple Reflection"),
              ("listener", "Take care!", "Other")]
    path = tmp_path / "MI Dataset.csv"
    pd.DataFrame([("d1", who, text, code or None) for who, text, code in labels],
                 columns=["dialog_id", "author", "text", "final agreed label"]).to_csv(path, index=False)
    with pytest.warns(UserWarning, match="1 utterance.s. coded 'Other' are read as not coded"):
        sessions = read_coded(path, scheme="misc")
    coded = [(turn.role, u.code) for turn, u in sessions[0].utterances()]
    assert [c for _, c in coded] == [None, "NC", "OQ", None, "CR", "CQ", "PER", "PER", "CON", "AF", "NC", None, None,
                                     "PWP", "GI", "EA", "SR", "NC"]
    assert {role for role, c in coded if c} == {"practitioner"}  # the listener, by name
    from mi_coder.train.fit import load_training_data

    with pytest.warns(UserWarning, match="1 utterance.s. coded 'Other' are trained on as not coded"):
        load_training_data([path], scheme="misc")  # train says it as evaluate does
    # read as MITI, the first label MITI 4.2.1 does not have names the option that reads it
    assert main(["evaluate", str(path)]) == 2
    err = capsys.readouterr().err
    assert "unknown code 'SUPPORT'" in err and "read the table with --scheme misc" in err
    # beside AutoMISC's coarse labels "Other" is every behaviour but a question or a reflection: still refused
    coarse = tmp_path / "coarse.csv"
    pd.DataFrame([("d1", "listener", "Hi there.", "Other"), ("d1", "speaker", "Hi.", "N"),
                  ("d1", "listener", "You feel stuck.", "R")],
                 columns=["dialog_id", "author", "text", "final agreed label"]).to_csv(coarse, index=False)
    assert main(["evaluate", str(coarse), "--scheme", "misc"]) == 2
    assert "'OTHER' is not a MISC code (R, Q and Other" in capsys.readouterr().err


def test_client_talk_spelled_out_reads_with_scheme_misc_and_bare_labels_say_why_they_are_refused(tmp_path, capsys):
    import pandas as pd

    from mi_coder.cli import main
    from mi_coder.evaluate.agreement import read_coded
    from mi_coder.schemes import read_code_cell

    # the three-way sets' names, MISC 2.5's kinds with their valence after them or in a column of their own
    assert [read_code_cell(c, "misc")[0] for c in ("Change Talk", "Sustain Talk", "Follow/Neutral", "Positive",
                                                   "Reason+", "Commitment +", "Taking Steps -", "Need\u2212")] == \
        ["CT", "S", "FN", "POS", "R+", "C+", "TS-", "N-"]
    rows = [("s1", "therapist", "What would you like to talk about?", "Open Question", ""),
            ("s1", "client", "I should cut down for my kids.", "Reason", "+"),
            ("s1", "therapist", "Your kids matter here.", "Complex Reflection", ""),
            ("s1", "client", "But it helps me sleep.", "Reason", "-"),
            ("s1", "therapist", "It helps you sleep.", "Simple Reflection", ""),
            ("s1", "client", "Yeah.", "Follow/Neutral", ""),
            ("s1", "client", "I won't quit.", "Sustain Talk", ""),
            ("s1", "client", "I'll try Monday.", "Commitment+", "")]
    path = tmp_path / "misc.csv"
    pd.DataFrame(rows, columns=["session", "speaker", "text", "code", "valence"]).to_csv(path, index=False)
    coded = [u.code for _, u in read_coded(path, scheme="misc")[0].utterances()]
    assert coded == ["OQ", "CT", "CR", "ST", "SR", "FN", "ST", "CT"]
    for label, why in (("Reflection", "a reflection not told simple or complex"),
                       ("Raise Concern", "without saying whether permission was given"),
                       ("MI Adherent", "collapsed group codes")):
        rows[2] = ("s1", "therapist", "Your kids matter here.", label, "")
        pd.DataFrame(rows, columns=["session", "speaker", "text", "code", "valence"]).to_csv(path, index=False)
        assert main(["evaluate", str(path), "--scheme", "misc"]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and why in err[0] and "misc.csv" in err[0]


# Tests added by a mutation audit: the whole mapping table of ``mi_coder.schemes`` (its docstring, after the MISC 2.5
# and MITI 4.2.1 manuals), where the tests above check a sample of it.


MISC_PRACTITIONER = {"OQ": "OQ", "CQ": "CQ", "SR": "SR", "CR": "CR", "RF": "CR", "AF": "AF", "EC": "EA", "GI": "GI",
                     "ADP": "PWP", "RCP": "PWP", "ADW": "PER", "RCW": "PER", "DI": "PER", "WA": "CON", "CO": "CON",
                     "SU": "NC", "FA": "NC", "FI": "NC", "ST": "NC",
                     "QUO": "OQ", "QUC": "CQ", "RES": "SR", "REC": "CR"}


def test_every_misc_practitioner_code_maps_to_the_miti_code_of_the_mapping_table():
    assert {code: to_miti(code, "practitioner") for code in MISC_PRACTITIONER} == MISC_PRACTITIONER


def test_every_valenced_misc_client_code_is_change_talk_toward_change_and_sustain_talk_away_from_it():
    for kind in ("R", "D", "A", "N", "C", "TS", "O"):  # reason, desire, ability, need, commitment, steps, other
        assert (to_miti(f"{kind}+", "client"), to_miti(f"{kind}-", "client")) == ("CT", "ST"), kind
    assert [to_miti(c, "client") for c in ("POS", "NEG", "C", "S", "N", "CT", "ST", "FN", "ASK")] == \
        ["CT", "ST", "CT", "ST", "FN", "CT", "ST", "FN", "FN"]


def test_a_valence_column_is_read_either_way_and_one_it_cannot_read_is_refused():
    from mi_coder.schemes import with_valence

    assert [with_valence("C", {"valence": v}) for v in ("-1", "1", "sustain", "change", "-", "+")] == \
        ["C-", "C+", "C-", "C+", "C-", "C+"]
    assert with_valence("R", {"polarity": "negative"}) == "R-" and with_valence("O", {"sign": "+"}) == "O+"
    assert with_valence("C", {"valence": ""}) == "C"  # no valence given: the code alone
    with pytest.raises(ValueError, match="valence 'maybe'"):
        with_valence("C", {"valence": "maybe"})  # read as none, sustain talk would count as change talk


def test_code_groups_follow_the_guides_summary_scores():
    # the guide: MI-adherent SEEK + AF + EA (AF kept apart as its own group), MI-non-adherent PER + CON
    assert GROUPS["PER"] == GROUPS["CON"] == "mi_nonadherent"
    assert GROUPS["SEEK"] == GROUPS["EA"] == "mi_adherent"
    assert GROUPS["SR"] == GROUPS["CR"] == "reflection" and GROUPS["OQ"] == GROUPS["CQ"] == GROUPS["Q"] == "question"
    assert (GROUPS["CT"], GROUPS["ST"], GROUPS["FN"]) == ("change", "sustain", "neutral")


def test_codes_spelled_out_in_a_miti_table_read_as_their_codes():
    from mi_coder.schemes import read_code_cell

    cells = {"Simple Reflection": "SR", "complex-reflection": "CR", "Closed question": "CQ", "Open Question": "OQ",
             "Sustain Talk": "ST", "Change talk": "CT", "Follow/Neutral": "FN", "Persuade with Permission": "PWP",
             "Persuade": "PER", "Emphasize Autonomy": "EA", "Seeking Collaboration": "SEEK", "Confront": "CON"}
    assert {cell: read_code_cell(cell) for cell in cells} == {cell: (code, "") for cell, code in cells.items()}
