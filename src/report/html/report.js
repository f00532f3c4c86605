// leakhound HTML report: draws the embedded JSON report (src/report/html.rs).
// Every value from the report is inserted as text (textContent, createElement), never as markup.
// The view's state (filters, sort, page) lives in the URL fragment, so a filtered view can be
// bookmarked or shared, and tests load a fragment to check filtering.
"use strict";
(function () {
  const started = performance.now();
  const data = JSON.parse(document.getElementById("leakhound-data").textContent);
  const app = document.getElementById("app");
  const PAGE = 100;
  const LEVELS = ["critical", "high", "medium", "low"];
  const RANK = { critical: 3, high: 2, medium: 1, low: 0 };
  const VALIDITY = { live: 3, unknown: 2, expired: 1, invalid: 0 };
  const FILTERS = ["rule", "severity", "priority", "validity", "exposure", "path", "author", "since", "until"];

  function el(tag, props, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(props || {})) {
      if (value === undefined || value === null) continue;
      if (key.startsWith("data-") || key.startsWith("aria-")) node.setAttribute(key, String(value));
      else node[key] = value;
    }
    for (const child of children) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function plural(n, one, many) {
    return n + " " + (n === 1 ? one : many);
  }

  // One row per finding (active first, then suppressed), with what filters and sorting need.
  function row(finding, index, suppressed) {
    const commits = finding.locations.map((l) => l.git && l.git.commit).filter(Boolean);
    const dates = commits.map((c) => c.date).sort();
    const authors = [...new Set(commits.map((c) => c.author + " <" + c.email + ">"))];
    return {
      finding,
      key: (suppressed ? "s" : "f") + index,
      suppressed,
      path: finding.locations[0] ? finding.locations[0].path : "",
      paths: finding.locations.map((l) => l.path).join("\n").toLowerCase(),
      authors,
      authorText: authors.join("\n").toLowerCase(),
      date: dates.length ? dates[0].slice(0, 10) : "",
    };
  }
  const rows = data.findings
    .map((f, i) => row(f, i, false))
    .concat(data.suppressed.map((f, i) => row(f, i, true)));

  const COMPARE = {
    priority: (a, b) => b.finding.priority.score - a.finding.priority.score,
    severity: (a, b) => RANK[b.finding.severity] - RANK[a.finding.severity],
    rule: (a, b) => a.finding.rule_id.localeCompare(b.finding.rule_id),
    validity: (a, b) => VALIDITY[b.finding.priority.validity] - VALIDITY[a.finding.priority.validity],
    path: (a, b) => a.path.localeCompare(b.path),
    author: (a, b) => (a.authors[0] || "").localeCompare(b.authors[0] || ""),
    date: (a, b) => (a.date || "9999").localeCompare(b.date || "9999"),
  };

  function readState() {
    const params = new URLSearchParams(location.hash.slice(1));
    const state = { sort: params.get("sort") || "priority", page: Number(params.get("page")) || 1 };
    if (!COMPARE[state.sort]) state.sort = "priority";
    for (const name of FILTERS) state[name] = params.get(name) || "";
    state.suppressed = params.get("suppressed") === "1";
    state.open = params.get("open") || "";
    return state;
  }

  function writeState(state) {
    const params = new URLSearchParams();
    for (const name of FILTERS) if (state[name]) params.set(name, state[name]);
    if (state.suppressed) params.set("suppressed", "1");
    if (state.sort !== "priority") params.set("sort", state.sort);
    if (state.page > 1) params.set("page", String(state.page));
    if (state.open) params.set("open", state.open);
    history.replaceState(null, "", "#" + params.toString());
  }

  function matches(r, s) {
    const f = r.finding;
    return (
      (s.suppressed || !r.suppressed) &&
      (!s.rule || f.rule_id === s.rule) &&
      (!s.severity || f.severity === s.severity) &&
      (!s.priority || f.priority.level === s.priority) &&
      (!s.validity || f.priority.validity === s.validity) &&
      (!s.exposure || f.priority.exposure === s.exposure) &&
      (!s.path || r.paths.includes(s.path.toLowerCase())) &&
      (!s.author || r.authorText.includes(s.author.toLowerCase())) &&
      (!s.since || (r.date && r.date >= s.since)) &&
      (!s.until || (r.date && r.date <= s.until))
    );
  }

  function selected(state) {
    const compare = COMPARE[state.sort];
    return rows
      .filter((r) => matches(r, state))
      .sort((a, b) => compare(a, b) || COMPARE.priority(a, b) || a.key.localeCompare(b.key));
  }

  // ---- static parts: summary, coverage, notices ----
  function summary() {
    const s = data.summary;
    const byLevel = LEVELS.map((level) => {
      const n = data.findings.filter((f) => f.priority.level === level).length;
      return el("li", { className: "level-" + level }, el("strong", {}, String(n)), " " + level);
    });
    const skipped = [
      [s.skipped_binary, "binary"],
      [s.skipped_too_large, "over --max-file-size"],
      [s.skipped_symlinks, "symbolic links"],
      [s.skipped_special, "special files"],
      [s.skipped_ignored || 0, "ignored"],
    ].filter(([n]) => n > 0);
    return el(
      "section",
      { id: "summary" },
      el("h1", {}, "leakhound report"),
      el("p", { className: s.complete ? "complete" : "incomplete", id: "completeness" },
        s.complete ? "Complete: everything asked for was read." :
          "INCOMPLETE: some content could not be read (see notices); findings may be missing."),
      el("ul", { className: "levels" }, ...byLevel),
      el("p", {},
        plural(s.findings, "finding", "findings") + " at " + plural(s.locations, "location", "locations") +
        (s.suppressed ? ", " + s.suppressed + " suppressed" : "") + "; " +
        plural(s.items_scanned, "item", "items") + " (" + s.bytes_scanned + " bytes) read in " +
        (s.duration_ms / 1000).toFixed(2) + " s" +
        (skipped.length ? "; skipped " + skipped.map(([n, what]) => n + " " + what).join(", ") : "") +
        (s.errors ? "; " + plural(s.errors, "error", "errors") : "") + "."),
      coverage(),
      el("p", { className: "tool" }, data.tool.name + " " + data.tool.version),
      notices(),
    );
  }

  // What was asked for and what was deliberately not read (the coverage record).
  function coverage() {
    const c = data.coverage;
    if (!c) return null;
    const range = c.base ? " " + c.base + ".." + (c.head || "") : c.branch ? " " + c.branch : "";
    const skipped = Object.entries(c.skipped || {});
    return el(
      "details",
      { id: "coverage" },
      el("summary", {}, "Coverage: " + c.mode + range + " of " + c.roots.join(", ") +
        (c.refs && c.refs.length ? " (" + plural(c.refs.length, "ref", "refs") + ")" : "")),
      el("ul", {},
        ...skipped.map(([reason, s]) => el("li", {}, "skipped " + s.count + " " + reason +
          (s.paths.length ? ": " : ""), ...s.paths.map((p, i) => [i ? ", " : "", el("code", {}, p)]).flat())),
        ...(c.refs || []).map((r) => el("li", {}, "ref ", el("code", {}, r.name), " at " + r.commit.slice(0, 12))),
        ...(c.accepted || []).map((a) => el("li", {}, "accepted: " + a)),
        ...(c.cache ? [el("li", {}, "history cache: " + c.cache.state + ", " +
          plural(c.cache.served, "blob", "blobs") + " served from it")] : [])),
    );
  }

  function notices() {
    if (!data.notices.length) return null;
    return el(
      "details",
      { id: "notices", open: data.notices.length <= 20 },
      el("summary", {}, "Coverage notices (" + data.notices.length + ")"),
      el("ul", {}, ...data.notices.map((n) =>
        el("li", { className: "notice-" + n.level }, n.level + ": ", n.path ? el("code", {}, n.path) : null,
          n.path ? ": " : "", n.message))),
    );
  }

  // ---- controls ----
  function options(name, values, label) {
    const select = el("select", { name, "aria-label": label }, el("option", { value: "" }, "any " + label));
    for (const value of values) select.append(el("option", { value }, value));
    return select;
  }

  function controls(state, redraw) {
    const distinct = (pick) => [...new Set(rows.map(pick))].sort();
    const form = el(
      "form",
      { id: "filters" },
      options("rule", distinct((r) => r.finding.rule_id), "rule"),
      options("severity", LEVELS, "severity"),
      options("priority", LEVELS, "priority"),
      options("validity", ["live", "unknown", "expired", "invalid"], "validity"),
      options("exposure", ["released", "default-branch", "working-tree", "other-branch", "staged", "unreachable-only"], "exposure"),
      el("input", { name: "path", type: "search", placeholder: "path contains", "aria-label": "path" }),
      el("input", { name: "author", type: "search", placeholder: "author contains", "aria-label": "author" }),
      el("label", {}, "from ", el("input", { name: "since", type: "date" })),
      el("label", {}, "to ", el("input", { name: "until", type: "date" })),
      el("label", {}, el("input", { name: "suppressed", type: "checkbox" }), " include suppressed"),
    );
    for (const name of FILTERS) form.elements[name].value = state[name];
    form.elements.suppressed.checked = state.suppressed;
    form.addEventListener("input", () => {
      for (const name of FILTERS) state[name] = form.elements[name].value;
      state.suppressed = form.elements.suppressed.checked;
      state.page = 1;
      redraw();
    });
    form.addEventListener("submit", (event) => event.preventDefault());
    return form;
  }

  // ---- the findings table ----
  const COLUMNS = [
    ["priority", "Priority"], ["rule", "Rule"], ["severity", "Severity"], ["validity", "Validity"],
    [null, "Secret"], ["path", "Location"], ["author", "Author"], ["date", "First commit"],
  ];

  function header(state, redraw) {
    return el("thead", {}, el("tr", {}, ...COLUMNS.map(([key, title]) => {
      if (!key) return el("th", { scope: "col" }, title);
      const button = el("button", { type: "button", className: "sort" }, title + (state.sort === key ? " \u25be" : ""));
      button.addEventListener("click", () => {
        state.sort = key;
        state.page = 1;
        redraw();
      });
      return el("th", { scope: "col", "aria-sort": state.sort === key ? "descending" : "none" }, button);
    })));
  }

  // `open=FINGERPRINT` in the fragment opens that finding's details when it is drawn.
  function findingRow(r, state) {
    const f = r.finding;
    const more = f.locations.length > 1 ? " (+" + (f.locations.length - 1) + ")" : "";
    const toggle = el("button", { type: "button", className: "toggle", "aria-expanded": "false" }, "\u25b8");
    const main = el(
      "tr",
      { className: "finding" + (r.suppressed ? " suppressed" : ""), "data-fingerprint": f.fingerprint },
      el("td", {}, toggle, " ", el("span", { className: "badge level-" + f.priority.level },
        f.priority.level + " " + f.priority.score)),
      el("td", {}, el("code", {}, f.rule_id), r.suppressed ? el("span", { className: "tag" }, "suppressed") : null),
      el("td", {}, f.severity),
      el("td", {}, f.priority.validity),
      el("td", {}, el("code", { className: "secret" }, f.secret)),
      el("td", { className: "path" }, r.path + more),
      el("td", {}, r.authors[0] || ""),
      el("td", {}, r.date),
    );
    const detail = el("tr", { className: "detail", hidden: true }, el("td", { colSpan: COLUMNS.length }));
    toggle.addEventListener("click", () => {
      if (!detail.firstChild.firstChild) detail.firstChild.append(details(f));
      detail.hidden = !detail.hidden;
      toggle.setAttribute("aria-expanded", String(!detail.hidden));
      toggle.textContent = detail.hidden ? "\u25b8" : "\u25be";
    });
    if (state.open && state.open === f.fingerprint) toggle.click();
    return [main, detail];
  }

  function field(name, ...value) {
    return [el("dt", {}, name), el("dd", {}, ...value)];
  }

  function reference(text) {
    return /^https:\/\/[^\s]+$/.test(text) ? el("a", { href: text, rel: "noreferrer noopener" }, text) : text;
  }

  function details(f) {
    const v = f.validation;
    const rule = data.rules[f.rule_id] || {};
    const list = el("dl", {},
      ...field("rule", f.rule_name + " (" + f.provider + ", " + f.kind + "), confidence " + f.confidence),
      ...field("secret", el("code", {}, f.secret), f.redacted ? " (redacted)" : ""),
      ...field("fingerprint", el("code", {}, f.fingerprint)),
      ...field("priority", f.priority.level + " (" + f.priority.score + "/100): validity " + f.priority.validity +
        ", exposure " + f.priority.exposure),
      ...field("validation", v ? v.status + (v.reason ? " (" + v.reason + ")" : "") +
        (v.checked_at ? ", checked " + v.checked_at : "") : "not checked"),
      ...(v && v.details ? field("access", Object.entries(v.details).map(([k, value]) => k + ": " + value).join("; ")) : []),
      ...Object.entries(f.attributes || {}).flatMap(([k, value]) => field(k, value)),
      ...field("revoke", rule.revoke || "Rotate the credential with its provider."),
      ...(rule.references && rule.references.length ?
        field("references", el("ul", {}, ...rule.references.map((ref) => el("li", {}, reference(ref))))) : []),
      ...(f.suppressions && f.suppressions.length ? field("suppressed by", el("ul", {}, ...f.suppressions.map((s) =>
        el("li", {}, s.kind + " at " + s.file + ":" + s.line + ": " + s.reason)))) : []),
    );
    return el("div", { className: "details" }, list, locations(f), timeline(f));
  }

  function locations(f) {
    return el("section", {}, el("h3", {}, plural(f.locations.length, "location", "locations")),
      el("ol", { className: "locations" }, ...f.locations.map((l) => el("li", {},
        el("code", {}, l.path + ":" + l.line + ":" + l.column),
        l.decoded ? " (decoded: " + l.decoded + ")" : "",
        l.git ? " \u2014 blob " + l.git.blob.slice(0, 12) + ", " + l.git.state : ""))));
  }

  // When each location entered the history, oldest first, and which refs reach it.
  function timeline(f) {
    const events = f.locations.filter((l) => l.git).map((l) => ({ l, c: l.git.commit }))
      .sort((a, b) => ((a.c && a.c.date) || "~").localeCompare((b.c && b.c.date) || "~"));
    if (!events.length) return null;
    return el("section", {}, el("h3", {}, "Exposure timeline"), el("ol", { className: "timeline" },
      ...events.map(({ l, c }) => el("li", {},
        c ? el("time", {}, c.date) : "(no commit)", " ",
        c ? "commit " + c.id.slice(0, 12) + " by " + c.author + " <" + c.email + "> " : "",
        l.git.state === "staged" ? "staged " : l.git.state === "unreachable" ? "in unreachable objects " : "",
        "added ", el("code", {}, l.path),
        c && c.refs_total ? el("div", { className: "refs" }, "reachable from " + c.refs.join(", ") +
          (c.refs_total > c.refs.length ? " and " + (c.refs_total - c.refs.length) + " more refs" : "")) : null))));
  }

  function pager(state, total, redraw) {
    const pages = Math.max(1, Math.ceil(total / PAGE));
    const go = (page) => () => {
      state.page = page;
      redraw();
    };
    const prev = el("button", { type: "button", disabled: state.page <= 1 }, "previous");
    const next = el("button", { type: "button", disabled: state.page >= pages }, "next");
    prev.addEventListener("click", go(state.page - 1));
    next.addEventListener("click", go(state.page + 1));
    return el("nav", { className: "pager" }, prev, " page " + state.page + " of " + pages + " ", next);
  }

  function draw() {
    const state = readState();
    const top = summary();
    const results = el("section", { id: "results" });
    const redraw = () => {
      writeState(state);
      const chosen = selected(state);
      const pages = Math.max(1, Math.ceil(chosen.length / PAGE));
      state.page = Math.min(Math.max(1, state.page), pages);
      const shown = chosen.slice((state.page - 1) * PAGE, state.page * PAGE);
      const body = el("tbody", {});
      for (const r of shown) body.append(...findingRow(r, state));
      const first = chosen.length ? (state.page - 1) * PAGE + 1 : 0;
      results.replaceChildren(
        el("p", { id: "status", "data-matching": chosen.length },
          "Showing " + first + "\u2013" + ((state.page - 1) * PAGE + shown.length) + " of " +
          plural(chosen.length, "matching finding", "matching findings") + " (" + rows.length + " in the report)."),
        el("table", { id: "findings" }, header(state, redraw), body),
        pager(state, chosen.length, redraw),
      );
    };
    app.replaceChildren(top, controls(state, redraw), results);
    redraw();
  }

  draw();
  document.body.setAttribute("data-ready", "1");
  // Script time, and time since navigation started (HTML parsing included).
  document.body.setAttribute("data-render-ms", String(Math.round(performance.now() - started)));
  document.body.setAttribute("data-ready-ms", String(Math.round(performance.now())));
})();
