// The monitoring page: asks for the admin token once per tab (sessionStorage), reads
// /api/admin/monitoring with it, and draws tiles, checks, tables and SVG charts from the JSON.
// Every shopper-supplied string (questions) goes in as text, never as markup.
"use strict";

const TOKEN_KEY = "tileshop-admin-token";
const REFRESH_MS = 30000;
let windowName = "24h";
let latest = null;

const pct = (r) => (r === null || r === undefined ? "–" : `${(100 * r).toFixed(r < 0.01 && r > 0 ? 2 : 1)}%`);
const ms = (v) => (v === null || v === undefined ? "–" : `${v >= 100 ? Math.round(v) : v} ms`);
const num = (v) => (v === null || v === undefined ? "–" : String(v));

function age(iso) {
  if (!iso) return "never";
  const hours = (Date.now() - new Date(iso).getTime()) / 3600000;
  return hours < 1 ? `${Math.round(hours * 60)} min ago` : hours < 48 ? `${hours.toFixed(1)} h ago` : `${(hours / 24).toFixed(1)} days ago`;
}

function showError(message) {
  const box = $("#error");
  box.textContent = message;
  box.hidden = !message;
}

function tile(label, value, detail, state) {
  const node = el("div", { class: `tile ${state || ""}`.trim(), "data-tile": label });
  node.append(el("div", { class: "label" }, label), el("div", { class: "value" }, value));
  if (detail) node.append(el("div", { class: "detail" }, detail));
  return node;
}

function renderTiles(d) {
  const q = d.crawl_queue;
  const total = d.requests.total["24h"];
  const modes = d.answers.by_mode;
  const llmErrors = Object.values(d.answers.llm_errors).reduce((a, b) => a + b, 0);
  const sitemap = d.freshness.sitemap_urls;
  const vectors = d.freshness.product_vectors;
  const apps = Object.entries(d.database.by_application).map(([k, v]) => `${k}: ${v}`).join(", ");
  $("#tiles").replaceChildren(
    tile("DB connections", `${d.database.in_use} / ${d.database.limit}`, apps),
    tile("Crawl queue (due now)", num(q.due), `failing ${q.failing}, blocked ${q.blocked}, gone ${q.gone}`),
    tile("Scraping success (last refresh)", pct(d.scraping.success_rate),
         `${d.scraping.succeeded} of ${d.scraping.fetched} pages`),
    tile("Errors 24 h", pct(total.error_rate), `${total.errors} of ${total.requests} requests`),
    tile("Latency 24 h p95", ms(total.p95_ms), `p50 ${ms(total.p50_ms)}`),
    tile("Answers 24 h", num(d.answers.answers),
         `Claude ${modes.claude || 0}, offline ${modes.offline || 0}; LLM errors ${llmErrors}`),
    tile("Active users 24 h", num(d.active_users_24h), "distinct clients (salted hashes)"),
    tile("Last sitemap refresh", age(sitemap.last), `${sitemap.state}; late after ${sitemap.fail_after_h} h`, sitemap.state),
    tile("Last vectors update", age(vectors.last), `${vectors.state}; late after ${vectors.fail_after_h} h`, vectors.state),
  );
}

function renderChecks(checks) {
  $("#checks").replaceChildren(...checks.map((c) => {
    const item = el("li", { class: `check ${c.status}`, "data-check": c.name });
    let value = c.value;
    if (c.unit.endsWith("ratio")) value = pct(c.value);
    else if (c.unit.endsWith("ms")) value = ms(c.value);
    const threshold = c.unit.endsWith("ratio") ? pct(c.threshold) : c.unit.endsWith("ms") ? ms(c.threshold) : c.threshold;
    const verdict = { pass: "green", fail: "red", no_data: "no data" }[c.status];
    item.append(el("div", { class: "name" }, c.label),
                el("div", { class: "figure" }, `${value ?? "–"} (${c.unit.split(" ")[0]} ${threshold}): ${verdict}`));
    return item;
  }));
}

function row(cells) {
  const tr = el("tr");
  for (const [value, cls] of cells) tr.append(el("td", cls ? { class: cls } : {}, value));
  return tr;
}

function renderRoutes(routes) {
  const rows = routes.filter((r) => r[windowName]).map((r) => {
    const w = r[windowName];
    return row([[`${r.method} ${r.route}`], [w.requests, "num"], [`${w.errors} (${pct(w.error_rate)})`, "num"],
                [num(w.p50_ms), "num"], [num(w.p95_ms), "num"]]);
  });
  $("#routes tbody").replaceChildren(...rows);
}

function renderQuestions(questions) {
  $("#frequent tbody").replaceChildren(...questions.frequent.map((q) =>
    row([[q.question], [q.asked, "num"], [q.mean_results, "num"], [q.top_sku || "–"]])));
  $("#unmet tbody").replaceChildren(...questions.unmet.map((q) =>
    row([[q.question], [q.asked, "num"], [q.found_nothing, "num"], [q.relaxed, "num"],
         [Object.entries(q.filters_read || {}).map(([k, v]) => `${k}: ${v}`).join(", ") || "–"]])));
}

function renderRuns(runs, dagsterUrl) {
  const body = $("#runs tbody");
  if (runs === null) {
    body.replaceChildren(row([["Dagster's run storage is not in this database"], [""], [""]]));
    return;
  }
  body.replaceChildren(...runs.map((r) => {
    const tr = el("tr");
    const link = el("a", { href: r.url, target: "_blank", rel: "noopener" }, r.run_id.slice(0, 8));
    const cell = el("td");
    cell.append(link);
    tr.append(cell, el("td", {}, r.job), el("td", {}, new Date(r.failed_at).toLocaleString()));
    return tr;
  }));
  if (!runs.length) body.replaceChildren(row([["no failed runs"], [""], [""]]));
}

// A line chart of `series` ({key, color, label}) over `points` ({at, ...}) in an <svg>.
function lineChart(svg, points, series) {
  const width = svg.clientWidth || 360;
  const height = svg.clientHeight || 160;
  const pad = { left: 42, right: 8, top: 18, bottom: 18 };
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  svg.replaceChildren();
  const values = points.flatMap((p) => series.map((s) => p[s.key]).filter((v) => v !== null && v !== undefined));
  if (!values.length) {
    svg.append(svgEl("text", { x: width / 2, y: height / 2, "text-anchor": "middle", class: "empty" }, "no data yet"));
    return;
  }
  const times = points.map((p) => new Date(p.at).getTime());
  const t0 = Math.min(...times);
  const t1 = Math.max(...times);
  const top = Math.max(...values) || 1;
  const x = (t) => pad.left + (t1 === t0 ? (width - pad.left - pad.right) / 2 : ((t - t0) / (t1 - t0)) * (width - pad.left - pad.right));
  const y = (v) => height - pad.bottom - (v / top) * (height - pad.top - pad.bottom);
  svg.append(svgEl("line", { x1: pad.left, y1: height - pad.bottom, x2: width - pad.right, y2: height - pad.bottom, class: "axis" }),
             svgEl("line", { x1: pad.left, y1: pad.top, x2: pad.left, y2: height - pad.bottom, class: "axis" }),
             svgEl("text", { x: pad.left - 4, y: pad.top + 4, "text-anchor": "end" }, String(Math.round(top * 10) / 10)),
             svgEl("text", { x: pad.left - 4, y: height - pad.bottom, "text-anchor": "end" }, "0"),
             svgEl("text", { x: pad.left, y: height - 4 }, new Date(t0).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })),
             svgEl("text", { x: width - pad.right, y: height - 4, "text-anchor": "end" },
                   new Date(t1).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })));
  series.forEach((s, i) => {
    const drawn = points.filter((p) => p[s.key] !== null && p[s.key] !== undefined);
    const path = drawn.map((p, j) => `${j ? "L" : "M"}${x(new Date(p.at).getTime()).toFixed(1)},${y(p[s.key]).toFixed(1)}`).join(" ");
    svg.append(svgEl("path", { d: path, fill: "none", stroke: s.color, "stroke-width": 2, "data-series": s.key }));
    for (const p of drawn) {
      svg.append(svgEl("circle", { cx: x(new Date(p.at).getTime()).toFixed(1), cy: y(p[s.key]).toFixed(1), r: 2.5, fill: s.color }));
    }
    svg.append(svgEl("text", { x: pad.left + 6 + i * 70, y: 12, fill: s.color, class: "legend" }, s.label));
  });
}

function renderCharts(d) {
  const points = d.series[windowName];
  lineChart($("#chart-latency"), points, [{ key: "p50_ms", color: "#0b5394", label: "p50" },
                                          { key: "p95_ms", color: "#c0392b", label: "p95" }]);
  lineChart($("#chart-errors"), points, [{ key: "errors", color: "#c0392b", label: "errors" },
                                         { key: "requests", color: "#7f8c8d", label: "requests" }]);
  lineChart($("#chart-queue"), d.series.crawl_queue, [{ key: "due", color: "#0b5394", label: "due" },
                                                      { key: "failing", color: "#c0392b", label: "failing" },
                                                      { key: "blocked", color: "#8a5a00", label: "blocked" }]);
}

function render(d) {
  latest = d;
  $("#generated").textContent = `Generated ${new Date(d.generated_at).toLocaleString()}.`;
  renderChecks(d.checks);
  renderTiles(d);
  renderRoutes(d.requests.routes);
  renderQuestions(d.questions);
  renderRuns(d.failed_runs, d.dagster_ui_url);
  $("#dashboard").hidden = false;
  renderCharts(d);  // after the dashboard shows: the charts size themselves to their boxes
  document.body.dataset.loaded = "true";
}

async function load() {
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (!token) {
    $("#login").hidden = false;
    return;
  }
  let response;
  try {
    response = await fetch("/api/admin/monitoring", { headers: { Authorization: `Bearer ${token}` } });
  } catch (err) {
    showError("The app is unreachable; retrying.");
    return;
  }
  if (response.status === 401) {
    sessionStorage.removeItem(TOKEN_KEY);
    $("#dashboard").hidden = true;
    $("#login").hidden = false;
    showError("That admin token is wrong.");
    return;
  }
  if (!response.ok) {
    let detail = `HTTP ${response.status}`;
    try { detail = (await response.json()).detail || detail; } catch (err) { /* not JSON */ }
    showError(`The monitoring data could not be read: ${detail}`);
    return;
  }
  showError("");
  $("#login").hidden = true;
  render(await response.json());
}

$("#login").addEventListener("submit", (event) => {
  event.preventDefault();
  sessionStorage.setItem(TOKEN_KEY, $("#token").value.trim());
  $("#token").value = "";
  load();
});

for (const button of document.querySelectorAll(".toggle button")) {
  button.addEventListener("click", () => {
    windowName = button.dataset.window;
    document.querySelectorAll(".toggle button").forEach((b) => b.classList.toggle("on", b === button));
    if (latest) { renderRoutes(latest.requests.routes); renderCharts(latest); }
  });
}

load();
setInterval(load, REFRESH_MS);
