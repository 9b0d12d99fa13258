/* mi-coder review mode: change codes, mark them reviewed, walk the least certain first, see the scores move,
   keep the work across reloads (localStorage), and download the reviewed codes as CSV. Self-contained.

   The scores here are computed exactly as `mi-coder score REVIEWED.csv` computes them from the downloaded file
   (mi_coder/scoring.py: MITI 4.2.1 volleys, summary scores, indices); the constants come from Python through
   the page's data block (RULES), so the two cannot drift apart on them, and a browser test checks the numbers. */
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("mi-review-data").textContent);
  var RULES = data.rules;
  var KEY = "mi-coder-review:" + data.session_id + ":" + data.digest;
  var state = load();

  var kept = true;  // false where the browser keeps no site data (blocked by policy, a sandboxed preview)

  function load() {
    try { return JSON.parse(localStorage.getItem(KEY)) || {codes: {}, reviewer: ""}; }
    catch (e) { return {codes: {}, reviewer: ""}; }
  }
  // Another copy of this page (a second tab, the same report saved twice) writes the same key: each edit is merged
  // with what is stored, the later of two edits of one utterance winning, so neither tab's work overwrites the
  // other's; a Reset forgets what was recorded before it.
  function merged(mine, theirs) {
    if (!theirs || !theirs.codes) { return mine; }
    var reset = (mine.reset || "") > (theirs.reset || "") ? mine.reset || "" : theirs.reset || "";
    var codes = {};
    [theirs.codes, mine.codes].forEach(function (src) {
      Object.keys(src).forEach(function (uid) {
        var e = src[uid];
        if ((e.at || "") >= reset && (!codes[uid] || (e.at || "") >= (codes[uid].at || ""))) { codes[uid] = e; }
      });
    });
    return {codes: codes, reviewer: mine.reviewer || theirs.reviewer || "", reset: reset};
  }
  function save() {
    try {
      state = merged(state, JSON.parse(localStorage.getItem(KEY)));
      localStorage.setItem(KEY, JSON.stringify(state));
    } catch (e) {
      if (kept) {
        kept = false;
        var note = document.getElementById("rv-unkept");
        if (note) { note.hidden = false; }
      }
    }
  }

  function codeOf(u) { var s = state.codes[u.uid]; return s && s.code ? s.code : u.code; }
  // The second code as it stands: the reviewer's where one was chosen ("" removes the machine's), else the machine's;
  // none while the first code repeats it, or while a reviewer's first code does not take it (the guide's pairs,
  // ``paired``): it is kept, not dropped, so that reading the first code's list through with the arrow keys and
  // coming back leaves the utterance as it was.
  function rawCode2(u) { var s = state.codes[u.uid]; return s && typeof s.code2 === "string" ? s.code2 : (u.code2 || ""); }
  function secondShown(u, first, c) { return c === first || (c && first !== u.code && !paired(first, c)) ? "" : c; }
  function code2Of(u) { return secondShown(u, codeOf(u), rawCode2(u)); }
  function reviewed(u) { var s = state.codes[u.uid]; return !!(s && s.reviewed); }
  function changed1(u) { return codeOf(u) !== u.code; }
  function changed2(u) { return code2Of(u) !== (u.code2 || ""); }
  function changed(u) { return changed1(u) || changed2(u); }
  // in words, for print, the status line and those who do not see the tint: what the machine gave
  function changedText(u) { return "changed from " + u.code + (u.code2 ? " +" + u.code2 : ""); }
  // Two codes the coding guide gives one utterance (evaluate.agreement.paired): a reflection with a checking question,
  // SEEK or EA on a question or a reflection, PWP with EA. The "+" list offers only these.
  function isIn(c, list) { return list.indexOf(c) >= 0; }
  function paired(a, b) {
    var pair = [a, b], ADH = RULES.adherent_second;
    var r = pair.some(function (c) { return isIn(c, RULES.reflections); });
    var q = pair.some(function (c) { return isIn(c, RULES.questions); });
    var adh = pair.some(function (c) { return isIn(c, ADH); });
    return (r && q) || (isIn("PWP", pair) && isIn("EA", pair)) || (adh && (r || q));
  }
  // Which of a pair a download writes first, as evaluation reads it (evaluate.agreement.first_of_two): the MI-adherent
  // code second, a checking question second. A reviewer's "CQ +SR" is "SR +CQ" in the file, the same two codes.
  function canonical(c1, c2) {
    if (c2 && isIn(c1, RULES.adherent_second) && !isIn(c2, RULES.adherent_second)) { return [c2, c1]; }
    if (c2 && isIn(c1, ["OQ", "CQ", "Q"]) && isIn(c2, ["SR", "CR"])) { return [c2, c1]; }
    return [c1, c2 || ""];
  }

  // ---- scoring (mirrors mi_coder/scoring.py) ----
  var WORD = /[\p{L}\p{N}_']+/gu;
  function words(text) { var m = text.match(WORD); return m ? m.length : 0; }
  function ratio(num, den) { return den === 0 ? null : num / den; }
  function cap(v, scale) { return v === null ? null : Math.min(v / scale, 1); }
  function meanDefined(xs) { var d = xs.filter(function (x) { return x !== null; });
    return d.length ? d.reduce(function (a, b) { return a + b; }, 0) / d.length : null; }
  function has(codes, set) { return codes.some(function (c) { return set.indexOf(c) >= 0; }); }

  function turnsNow() {
    return data.turns.filter(function (t) { return t.utterances.length; }).map(function (t) {
      // every code, second codes included (as they stand on the page), as scoring._codes
      var codes = [], firsts = [];
      t.utterances.forEach(function (i) {
        var u = data.utterances[i], c = codeOf(u), c2 = code2Of(u);
        if (!c) { return; }
        codes.push(c);
        firsts.push(c);
        if (c2) { codes.push(c2); }
      });
      return {role: t.role, text: t.text, codes: codes, firsts: firsts};
    });
  }
  function isBackchannel(t) {
    var toks = (t.text.match(WORD) || []).map(function (w) { return w.toLowerCase(); });
    return toks.length > 0 && toks.length <= 4 && toks.every(function (w) { return RULES.backchannel_words.indexOf(w) >= 0; });
  }
  function volleys(turns) {
    var out = [], cur = [];
    turns.forEach(function (t) {
      if (t.role === "practitioner") { cur.push(t); return; }
      // the client's turn, or another speaker's, ends the volley (scoring.volleys)
      if (cur.length && isBackchannel(t) && !has(cur[cur.length - 1].codes, RULES.questions)) { return; }
      if (cur.length) { out.push(cur); }
      cur = [];
    });
    if (cur.length) { out.push(cur); }
    return out;
  }
  function volleyCounts(turns) {
    var counts = {};
    RULES.practitioner_codes.forEach(function (c) { if (c !== "NC") { counts[c] = 0; } });
    volleys(turns).forEach(function (v) {
      var present = [];
      v.forEach(function (t) { t.codes.forEach(function (c) { if (present.indexOf(c) < 0) { present.push(c); } }); });
      if (has(present, RULES.reflections)) { counts[present.indexOf("CR") >= 0 ? "CR" : "SR"] += 1; }
      if (has(present, RULES.questions)) {  // as scoring: OQ if any is open, else CQ if any closed, else Q (no form)
        var form = present.indexOf("OQ") >= 0 ? "OQ" : present.indexOf("CQ") >= 0 ? "CQ" : "Q";
        counts[form] = (counts[form] || 0) + 1;
      }
      present.forEach(function (c) {
        if (RULES.reflections.indexOf(c) < 0 && RULES.questions.indexOf(c) < 0 && c !== "NC" && c in counts) { counts[c] += 1; }
      });
    });
    return counts;
  }
  function utteranceCounts(turns) {
    var counts = {};
    RULES.practitioner_codes.concat(RULES.client_codes).forEach(function (c) { counts[c] = 0; });
    turns.forEach(function (t) {
      if (t.role !== "practitioner" && t.role !== "client") { return; }
      t.codes.forEach(function (c) { if (c in counts) { counts[c] += 1; } });
    });
    return counts;
  }
  function clientMain(t) {  // as scoring's main_code for a client turn without a turn model
    var ct = 0, st = 0;
    t.codes.forEach(function (c) { if (c === "CT") { ct += 1; } if (c === "ST") { st += 1; } });
    if (ct === 0 && st === 0) { return "FN"; }
    return ct >= st ? "CT" : "ST";
  }
  function questionRunTurns(turns) {  // as scoring's question runs: only a reflection ends a run
    var prac = turns.filter(function (t) { return t.role === "practitioner"; }), run = 0, inRuns = 0;
    prac.concat([null]).forEach(function (t) {
      if (t && has(t.codes, RULES.reflections)) { t = null; }
      if (t && has(t.codes, RULES.questions)) { run += 1; return; }
      if (t) { return; }  // neither a question nor a reflection: the run goes on
      if (run >= RULES.question_run_minimum) { inRuns += run; }
      run = 0;
    });
    return inRuns;
  }
  function scores() {
    var turns = turnsNow(), v = volleyCounts(turns), u = utteranceCounts(turns), C = RULES.caps;
    var prac = turns.filter(function (t) { return t.role === "practitioner"; });
    var client = turns.filter(function (t) { return t.role === "client"; });
    // %OQ is over the questions whose form is coded; R:Q counts MITI 4.2.1's Q too (scoring.summary_scores)
    var r = v.SR + v.CR, q = v.OQ + v.CQ, qAll = q + (v.Q || 0);
    var out = {r_q: ratio(r, qAll), pct_cr: ratio(v.CR, r), pct_oq: ratio(v.OQ, q),
               mi_adherent: v.SEEK + v.AF + v.EA, mi_nonadherent: v.PER + v.CON};
    // the volleys each ratio is over: fewer than the cards' minimum reads "(too few)", as the cards say (``tooFew``)
    few = {r_q: qAll < RULES.min_for_band, pct_cr: r < RULES.min_for_band, pct_oq: q < RULES.min_for_band};
    var pw = 0, cw = 0;
    prac.forEach(function (t) { pw += words(t.text); });
    client.forEach(function (t) { cw += words(t.text); });
    var nPrac = 0;  // coded practitioner utterances, NC excluded: an utterance of two codes is one
    prac.forEach(function (t) { t.firsts.forEach(function (c) { if (c !== "NC") { nPrac += 1; } }); });
    var talk = 0, answered = 0;
    turns.forEach(function (t, k) {
      if (t.role === "client" && (clientMain(t) === "CT" || clientMain(t) === "ST")) {
        talk += 1;
        for (var j = k + 1; j < turns.length; j++) {
          if (turns[j].role === "practitioner") { if (has(turns[j].codes, RULES.reflections)) { answered += 1; } break; }
        }
      }
    });
    var reflectionRate = ratio(u.SR + u.CR, prac.length);
    var clientShare = client.length ? ratio(cw, cw + pw) : null, changePct = ratio(u.CT, u.CT + u.ST);
    var runPct = ratio(questionRunTurns(turns), prac.length), wordsPerTurn = ratio(cw, client.length);
    // as scoring's _reflection_parts: no reflections give a %CR part of 0, reflections without questions an R:Q part of 1
    var crPart = out.pct_cr !== null ? cap(out.pct_cr, C.pct_cr) : (nPrac ? 0 : null);
    var rqPart = out.r_q !== null ? cap(out.r_q, C.r_q) : (out.pct_cr !== null ? 1 : null);
    var empathy = meanDefined([cap(reflectionRate, C.reflection_rate), crPart, ratio(answered, talk)]);
    var engagement = client.length ? meanDefined([cap(clientShare, C.client_talk_share), changePct,
                                  runPct === null ? null : 1 - runPct, cap(wordsPerTurn, C.client_words_per_turn)])
                                   : null;  // a practitioner-only recording: no client measures
    var nonShare = ratio(u.PER + u.CON, nPrac);
    var fidelity = meanDefined([rqPart, crPart, cap(out.pct_oq, C.pct_oq),
                                nonShare === null ? null : 1 - Math.min(nonShare / C.nonadherent_share, 1)]);
    out.engagement_index = engagement === null ? null : 100 * engagement;
    out.empathy_index = empathy === null ? null : 100 * empathy;
    out.fidelity_index = fidelity === null ? null : 100 * fidelity;
    return out;
  }

  // ---- page ----
  // As the report's cards (mi_coder/report/style.py: display_number, _fmt_banded): halves rounded up on the
  // exact value (toFixed), and a score near a threshold with the decimals that keep it on its own side.
  function fmtScore(v, pct, th) {
    var scale = pct ? 100 : 1, base = pct ? 0 : 2;
    for (var d = base; d < base + 4; d++) {
      var text = (scale * v).toFixed(d), shown = parseFloat(text) / scale;
      var same = !th || Object.keys(th).every(function (k) { return (shown >= th[k]) === (v >= th[k]); });
      if (same) { return text + (pct ? "%" : ""); }
    }
    return (scale * v).toFixed(base) + (pct ? "%" : "");
  }
  var few = {};  // set by scores(): the ratios over too few volleys to judge, as they now stand
  function fmt(key, v) {
    if (v === null || v === undefined) { return "n/a"; }
    var th = data.thresholds ? data.thresholds[key] : null;
    if (key === "pct_cr" || key === "pct_oq") { return fmtScore(v, true, th); }
    if (key.indexOf("index") >= 0) { return v.toFixed(0); }
    if (key === "r_q") { return fmtScore(v, false, th); }
    return String(v);
  }
  function tooFew(key, v) { return v !== null && v !== undefined && few[key] ? " (too few)" : ""; }
  function showScores() {
    var s = scores();
    Object.keys(s).forEach(function (k) {
      var el = document.querySelector("[data-live='" + k + "']");
      if (el) { el.textContent = fmt(k, s[k]) + tooFew(k, s[k]); el.setAttribute("data-value", s[k] === null ? "" : String(s[k])); }
    });
    document.getElementById("rv-left").textContent = left();
  }
  function paint(u) {
    var row = document.getElementById("utt-" + u.uid);
    if (!row) { return; }
    var sel = row.querySelector("select.rv-code"), box = row.querySelector("input.rv-done");
    sel.value = codeOf(u);
    var sel2 = row.querySelector("select.rv-code2");
    if (sel2) {
      // only second codes the guide pairs with the first (the list's own first code, or PER beside PWP, is none);
      // disabled options are passed over by the arrow keys
      Array.prototype.forEach.call(sel2.options, function (o) {
        o.disabled = !!o.value && o.value !== code2Of(u) && (o.value === codeOf(u) || !paired(codeOf(u), o.value));
      });
      sel2.value = code2Of(u);
    }
    box.checked = reviewed(u);
    row.classList.toggle("rv-changed", changed(u));
    row.classList.toggle("rv-reviewed", reviewed(u));
    var mark = row.querySelector("span.rv-mark");  // in words, for print and for those who do not see the tint
    if (mark) { mark.textContent = changed(u) ? " " + changedText(u) : ""; }
    row.setAttribute("data-code", codeOf(u));
    if (code2Of(u)) { row.setAttribute("data-code2", code2Of(u)); } else { row.removeAttribute("data-code2"); }
    // the coloured badge shows the code as it stands (it is what a printed page shows), the machine's in its title
    var badge = row.querySelector("span.code"), colours = data.colours && data.colours[codeOf(u)];
    if (badge && colours) {
      badge.textContent = codeOf(u);
      badge.style.background = colours[0];
      badge.style.color = colours[1];
      if (!badge.hasAttribute("data-title")) { badge.setAttribute("data-title", badge.title || ""); }
      badge.title = changed1(u) ? "changed by a reviewer from " + u.code : badge.getAttribute("data-title");
    }
    // the second code's badge likewise, made where the reviewer gives one the machine did not
    var second = row.querySelector("span.code.second"), c2 = code2Of(u);
    if (c2 && !second && badge) {
      second = document.createElement("span");
      second.className = "code second";
      badge.parentNode.insertBefore(second, badge.nextSibling);
      badge.parentNode.insertBefore(document.createTextNode(" "), second);
    }
    if (second) {
      second.style.display = c2 ? "" : "none";
      var colours2 = c2 && data.colours && data.colours[c2];
      if (colours2) {
        second.textContent = "+" + c2;
        second.style.background = colours2[0];
        second.style.color = colours2[1];
        second.title = "second code: " + ((data.names && data.names[c2]) || c2) + (changed2(u) ? ", a reviewer's" : "");
      }
    }
    var tag = row.querySelector("span.review");
    if (tag) { tag.style.display = reviewed(u) ? "none" : ""; }
  }
  // Said to screen readers through the bar's status line (role=status, WCAG 4.1.3): what an edit did, and where
  // the scores stand now.
  function say(text) { var el = document.getElementById("rv-status"); if (el) { el.textContent = text; } }
  function left() { return data.utterances.filter(function (u) { return u.code && !reviewed(u); }).length; }
  // ``code2`` undefined keeps the second code as it stands
  function record(u, code, done, ticked, code2) {
    state.codes[u.uid] = {code: code, code2: code2 === undefined ? rawCode2(u) : code2, reviewed: done,
                          ticked: !!ticked, at: new Date().toISOString(),
                          by: document.getElementById("rv-reviewer").value};
    paint(u); showScores(); save();  // the page shows the edit even where the browser keeps nothing
    var s = scores();
    say("Turn " + u.turn_id + ": " + codeOf(u) + (code2Of(u) ? " +" + code2Of(u) : "") +
        (changed(u) ? " (" + changedText(u) + ")" : "") +
        (done ? ", reviewed" : ", not reviewed") + "; " + left() + " left; R:Q " + fmt("r_q", s.r_q) +
        tooFew("r_q", s.r_q) + ", %CR " + fmt("pct_cr", s.pct_cr) + tooFew("pct_cr", s.pct_cr) + ", MI-adherent " +
        fmt("mi_adherent", s.mi_adherent));
    if (typeof applyFilter === "function") { applyFilter(); }  // the transcript's code filter, as the codes now stand
  }
  // A new code from the list marks the utterance reviewed; going back to the machine's code leaves it as it was
  // before (reviewed only if its box was ticked): the arrow keys on a closed list change the code at each press,
  // so reading the list through with them must not tick anything (an accessibility audit).
  function choose(u, code) {
    var s = state.codes[u.uid], was = s && s.ticked && s.reviewed, code2 = rawCode2(u);  // kept as it is
    var differs = code !== u.code || secondShown(u, code, code2) !== (u.code2 || "");
    record(u, code, differs || !!was, was, code2);
  }
  function choose2(u, code2) {  // the same for the second code
    var s = state.codes[u.uid], was = s && s.ticked && s.reviewed;
    record(u, codeOf(u), codeOf(u) !== u.code || code2 !== (u.code2 || "") || !!was, was, code2);
  }
  function shown(row) { return row && row.style.display !== "none"; }
  function next() {
    var todo = data.utterances.filter(function (u) { return u.code && !reviewed(u); })
      .sort(function (a, b) { return (a.confidence === null ? 1 : a.confidence) - (b.confidence === null ? 1 : b.confidence); });
    document.querySelectorAll("tr.rv-current").forEach(function (r) { r.classList.remove("rv-current"); });
    // rows the code filter hides are passed over: focus cannot go to them, and nothing would be said
    var visible = todo.filter(function (u) { return shown(document.getElementById("utt-" + u.uid)); });
    if (!visible.length) {
      say(todo.length ? todo.length + " left, all hidden by the code filter: tick the codes to show them"
                      : "Every utterance is reviewed");
      return null;
    }
    var u = visible[0], row = document.getElementById("utt-" + u.uid);
    row.classList.add("rv-current");
    row.scrollIntoView({block: "center"});
    row.querySelector("select.rv-code").focus();
    say("Turn " + u.turn_id + ", " + u.speaker + ": " + u.text + " Coded " + codeOf(u) +
        (u.confidence === null ? "" : ", confidence " + u.confidence) + ".");
    return u.uid;
  }
  // Text a spreadsheet would run as a formula ("=HYPERLINK(...)", "@SUM(A1)") gets a leading apostrophe, as
  // spreadsheets themselves write it; mi-coder's readers drop it again (io/delimited.py: _unguarded).
  function csvCell(v) { v = v === null || v === undefined ? "" : String(v);
    if (/^[=+\-@\t\r]/.test(v) && isNaN(Number(v))) { v = "'" + v; }
    return /[",\n\r]/.test(v) ? '"' + v.replace(/"/g, '""') + '"' : v; }
  function csv() {
    // code2 is the second code as it stands (the reviewer's where changed), machine_code2 the machine's; model names
    // the coder of the machine codes (evaluate --agreement says which model it measured, train --add's card lists it)
    var head = ["session_id", "turn_id", "utterance_id", "speaker", "role", "text", "machine_code", "confidence",
                "reviewed_code", "code", "reviewer", "reviewed_at", "code2", "role_elements", "machine_code2", "model"];
    var lines = [head.join(",")];
    data.utterances.forEach(function (u) {
      var s = state.codes[u.uid] || {}, pair = canonical(codeOf(u), code2Of(u));
      // reviewed_code only where the page counts the utterance reviewed (ticked): a change unticked again is the
      // code as it stands (code) but not reviewed, as the page's "left" count says
      lines.push([data.session_id, u.turn_id, u.utterance_id, u.speaker, u.role, u.text, u.code, u.confidence,
                  s.reviewed ? pair[0] : "", pair[0],
                  s.at && (s.reviewed || changed(u)) ? (s.by || state.reviewer || "") : "",
                  s.at && (s.reviewed || changed(u)) ? s.at : "",
                  pair[1], u.role_elements || "", u.code2 || "", data.model || ""]
        .map(csvCell).join(","));
    });
    return lines.join("\n") + "\n";
  }
  function download() {
    var blob = new Blob([csv()], {type: "text/csv"});
    var a = document.createElement("a");
    a.href = URL.createObjectURL(blob);
    a.download = data.session_id + ".reviewed.csv";
    document.body.appendChild(a); a.click(); a.remove();
    say("Downloaded " + a.download);
  }

  document.addEventListener("DOMContentLoaded", function () {
    var name = document.getElementById("rv-reviewer");
    name.value = state.reviewer || "";
    name.addEventListener("change", function () { state.reviewer = name.value; save(); });
    data.utterances.forEach(function (u) {
      var row = document.getElementById("utt-" + u.uid);
      if (!row) { return; }
      var sel = row.querySelector("select.rv-code");
      Array.prototype.forEach.call(sel.options, function (o) {
        if (data.names && data.names[o.value]) { o.setAttribute("aria-label", o.value + ", " + data.names[o.value]); }
      });
      sel.addEventListener("change", function (e) { choose(u, e.target.value); });
      var sel2 = row.querySelector("select.rv-code2");
      if (sel2) {
        Array.prototype.forEach.call(sel2.options, function (o) {
          o.setAttribute("aria-label", o.value ? "second code " + o.value + ", " + ((data.names && data.names[o.value]) || o.value)
                                               : "no second code");
        });
        sel2.addEventListener("change", function (e) { choose2(u, e.target.value); });
      }
      row.querySelector("input.rv-done").addEventListener("change", function (e) {
        record(u, codeOf(u), e.target.checked, e.target.checked);
      });
      paint(u);
    });
    document.getElementById("rv-next").addEventListener("click", next);
    document.getElementById("rv-download").addEventListener("click", download);
    document.getElementById("rv-reset").addEventListener("click", function () {
      if (window.confirm("Forget every change and review mark on this page?")) {
        state = {codes: {}, reviewer: name.value, reset: new Date().toISOString()};
        save(); data.utterances.forEach(paint); showScores(); say("Every change and review mark forgotten"); }
    });
    window.addEventListener("storage", function (e) {  // another tab's edit: shown here at once
      if (e.key !== KEY) { return; }
      try { state = merged(state, JSON.parse(e.newValue)); } catch (err) { return; }
      data.utterances.forEach(paint); showScores();
    });
    try { localStorage.getItem(KEY); } catch (e) { kept = false; document.getElementById("rv-unkept").hidden = false; }
    showScores();
  });
  window.miReview = {scores: scores, csv: csv, next: next, key: KEY, fmt: fmt};
})();
