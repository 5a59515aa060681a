// The catalog pages (/admin/catalog and /admin/catalog/product?key=): ask for the admin token once
// per tab (sessionStorage, as the monitoring page does), read /api/admin/catalog/... with it and
// draw the list, the product and its price chart (inline SVG) from the JSON. Every stored string
// goes in as text, never as markup.
"use strict";

const TOKEN_KEY = "tileshop-admin-token";
const COLUMNS = [
  ["sku", "SKU"], ["name", "Name"], ["category", "Category"], ["material", "Material"], ["color", "Color"],
  ["price", "Price"], ["version", "Ver."], ["state", "Crawl"], ["checked_at", "Last check"],
  ["attempts", "Attempts"], ["next_attempt_at", "Next try"], ["gone_at", "Gone"],
];

const when = (iso) => (iso ? new Date(iso).toISOString().replace("T", " ").slice(0, 16) + " UTC" : "–");
const price = (p, unit) => (p === null || p === undefined ? "–" : `$${Number(p).toFixed(2)}${unit ? "/" + unit : ""}`);

function showError(message) {
  const box = $("#error");
  box.textContent = message;
  box.hidden = !message;
}

async function api(path, options = {}) {
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (!token) {
    $("#login").hidden = false;
    return null;
  }
  const response = await fetch(path, { ...options, headers: { ...(options.headers || {}), Authorization: `Bearer ${token}` } });
  if (response.status === 401) {
    sessionStorage.removeItem(TOKEN_KEY);
    $("#content").hidden = true;
    $("#login").hidden = false;
    showError("That admin token is wrong.");
    return null;
  }
  if (!response.ok) {
    let detail = `HTTP ${response.status}`;
    try {
      const body = await response.json();
      detail = typeof body.detail === "string" ? body.detail : body.detail.map((e) => `${e.loc.join(".")}: ${e.msg}`).join("; ");
    } catch (err) { /* not JSON */ }
    throw new Error(detail);
  }
  showError("");
  $("#login").hidden = true;
  return response;
}

// --- the list ---------------------------------------------------------------------------------
const listState = { sort: "sku", order: "asc", page: 1, per_page: 50 };

function listQuery(extra = {}) {
  const params = new URLSearchParams();
  for (const [k, v] of new FormData($("#filters"))) if (String(v).trim() !== "") params.set(k, String(v).trim());
  for (const [k, v] of Object.entries(extra)) params.set(k, v);
  return params;
}

function badge(kind, text) { return el("span", { class: `badge ${kind}` }, text); }

function renderList(d) {
  $("#count").textContent = `${d.total} products`;
  $("#page").textContent = `page ${d.page} of ${d.pages}`;
  $("#prev").disabled = d.page <= 1;
  $("#next").disabled = d.page >= d.pages;
  const head = $("#products thead tr");
  head.replaceChildren(...COLUMNS.map(([key, label]) => {
    const th = el("th", { "data-sort": key, title: `sort by ${label}` }, label);
    if (key === d.sort) th.classList.add("sorted", ...(d.order === "desc" ? ["desc"] : []));
    th.addEventListener("click", () => {
      listState.order = listState.sort === key && listState.order === "asc" ? "desc" : "asc";
      listState.sort = key;
      listState.page = 1;
      loadList();
    });
    return th;
  }));
  $("#products tbody").replaceChildren(...d.products.map((p) => {
    const row = el("tr", { "data-key": p.product_key });
    const link = el("a", { href: `/admin/catalog/product?key=${encodeURIComponent(p.product_key)}` }, p.name || p.product_key);
    const crawl = el("td");
    crawl.append(badge(p.state || "unchecked", p.state || "unchecked"));
    if (p.suspect) crawl.append(badge("suspect", "suspect"));
    const name = el("td");
    name.append(link);
    row.append(el("td", {}, p.sku), name, el("td", {}, p.category), el("td", {}, p.material), el("td", {}, p.color),
      el("td", { class: "num" }, price(p.price, p.price_unit)), el("td", { class: "num" }, p.version), crawl,
      el("td", {}, when(p.checked_at)), el("td", { class: "num" }, p.attempts ?? "–"), el("td", {}, when(p.next_attempt_at)),
      el("td", {}, p.gone_at ? when(p.gone_at) : ""));
    return row;
  }));
  $("#content").hidden = false;
  document.body.dataset.loaded = "true";
}

async function loadList() {
  try {
    const response = await api(`/api/admin/catalog/products?${listQuery({ ...listState })}`);
    if (response) renderList(await response.json());
  } catch (err) {
    showError(`The product list could not be read: ${err.message}`);
  }
}

async function loadFacets() {
  try {
    const response = await api("/api/admin/catalog/facets");
    if (!response) return;
    const f = await response.json();
    const fill = (name, values) => $(`#filters [name=${name}]`).append(...values.map((v) => el("option", { value: v }, v)));
    fill("category", f.categories);
    fill("material", f.materials);
    fill("state", f.states);
  } catch (err) {
    showError(`The filters could not be read: ${err.message}`);
  }
}

async function exportFile(format) {
  try {
    const params = new URLSearchParams({ format });
    const category = $("#filters [name=category]").value;
    if (category) params.set("category", category);
    const response = await api(`/api/admin/catalog/export?${params}`);
    if (!response) return;
    const link = el("a", { href: URL.createObjectURL(await response.blob()), download: `catalog.${format}` });
    document.body.append(link);
    link.click();
    link.remove();
  } catch (err) {
    showError(`The export failed: ${err.message}`);
  }
}

// --- the product --------------------------------------------------------------------------------
function kvRows(pairs) {
  return pairs.map(([k, v]) => {
    const row = el("tr");
    row.append(el("th", {}, k));
    const cell = el("td");
    if (v instanceof Node) cell.append(v); else cell.textContent = v === null || v === undefined || v === "" ? "–" : String(v);
    row.append(cell);
    return row;
  });
}

function recordValue(v) {
  if (v === null || v === undefined) return null;
  if (Array.isArray(v)) return v.map((x) => (typeof x === "object" ? JSON.stringify(x) : x)).join(", ");
  if (typeof v === "object") return Object.entries(v).map(([k, x]) => `${k}: ${x}`).join("; ");
  return v;
}

function drawPriceChart(svg, series) {
  svg.replaceChildren();
  const w = svg.clientWidth || 480;
  const h = svg.clientHeight || 180;
  svg.setAttribute("viewBox", `0 0 ${w} ${h}`);
  const points = series.filter((s) => s.price !== null);
  if (!points.length) {
    svg.append(svgEl("text", { x: w / 2, y: h / 2, "text-anchor": "middle", class: "empty" }, "no price stored"));
    return;
  }
  const pad = { l: 56, r: 12, t: 12, b: 24 };
  const t0 = new Date(points[0].from).getTime();
  const t1 = Math.max(Date.now(), t0 + 1);
  const prices = points.map((p) => p.price);
  let lo = Math.min(...prices);
  let hi = Math.max(...prices);
  if (hi === lo) { lo -= Math.max(1, lo * 0.1); hi += Math.max(1, hi * 0.1); }
  const x = (t) => pad.l + ((t - t0) / (t1 - t0)) * (w - pad.l - pad.r);
  const y = (p) => h - pad.b - ((p - lo) / (hi - lo)) * (h - pad.t - pad.b);
  svg.append(svgEl("line", { x1: pad.l, y1: h - pad.b, x2: w - pad.r, y2: h - pad.b, class: "axis" }),
    svgEl("line", { x1: pad.l, y1: pad.t, x2: pad.l, y2: h - pad.b, class: "axis" }),
    svgEl("text", { x: pad.l - 4, y: y(hi) + 4, "text-anchor": "end" }, `$${hi.toFixed(2)}`),
    svgEl("text", { x: pad.l - 4, y: y(lo) + 4, "text-anchor": "end" }, `$${lo.toFixed(2)}`),
    svgEl("text", { x: pad.l, y: h - 6 }, when(points[0].from).slice(0, 10)),
    svgEl("text", { x: w - pad.r, y: h - 6, "text-anchor": "end" }, "now"));
  // A step line: each version's price holds from its valid_from until the next version's.
  let d = "";
  points.forEach((p, i) => {
    const start = x(new Date(p.from).getTime());
    const end = x(p.to ? new Date(p.to).getTime() : t1);
    d += `${i ? "L" : "M"}${start.toFixed(1)},${y(p.price).toFixed(1)} L${end.toFixed(1)},${y(p.price).toFixed(1)} `;
  });
  svg.append(svgEl("path", { d, class: "line" }));
  for (const p of points) {
    const dot = svgEl("circle", { cx: x(new Date(p.from).getTime()), cy: y(p.price), r: 3.5 });
    dot.append(svgEl("title", {}, `v${p.version}: ${price(p.price, p.unit)} from ${when(p.from)}`));
    svg.append(dot);
  }
}

function renderProduct(p) {
  const r = p.record;
  document.title = `${p.name || p.product_key} – Tile Shop catalog`;
  $("#title").textContent = p.name || p.product_key;
  $("#subtitle").textContent = `SKU ${p.sku || "–"} · ${p.product_key} · version ${p.version}${p.gone_at ? " · gone since " + when(p.gone_at) : ""}`;
  const links = $("#links");
  const page = el("a", { href: p.url, rel: "noreferrer" }, "Product page");
  links.replaceChildren(page, el("a", { href: p.dagster.partition, "data-link": "partition" }, "Partition in Dagster"),
    el("a", { href: p.dagster.asset }, "products in Dagster"));
  const pairs = [["URL", p.url], ["Price", price(r.price, r.price_unit)]];
  for (const [k, v] of Object.entries(r)) {
    if (["url", "price", "price_unit", "provenance", "warnings", "documents", "images", "description"].includes(k)) continue;
    pairs.push([k, recordValue(v)]);
  }
  pairs.push(["description", r.description]);
  $("#record tbody").replaceChildren(...kvRows(pairs));
  const c = p.crawl;
  $("#crawl tbody").replaceChildren(...kvRows(c ? [
    ["State", c.state], ["HTTP status", c.status_code], ["Last check", when(c.checked_at)], ["Last success", when(c.last_ok_at)],
    ["Page last changed", when(c.changed_at)], ["Attempts", c.attempts], ["Next try", when(c.next_attempt_at)],
    ["Error", c.error], ["Parse error", c.parse_error],
  ] : [["State", "never fetched"]]));
  drawPriceChart($("#price-chart"), p.price_series);
  const warnings = r.warnings || [];
  $("#warnings").replaceChildren(...(warnings.length ? warnings.map((w) => el("li", {}, typeof w === "string" ? w : JSON.stringify(w)))
    : [el("li", {}, "none")]));
  const documents = r.documents || [];
  $("#documents").replaceChildren(...(documents.length ? documents.map((d) => {
    const item = el("li");
    item.append(el("a", { href: d.url, rel: "noreferrer" }, d.name || d.url));
    return item;
  }) : [el("li", {}, "none")]));
  $("#suspect-box").hidden = !p.suspect;
  if (p.suspect) {
    const s = p.suspect;
    $("#suspect").textContent = `Held ${when(s.held_at)}: ${s.reason}. The held parse has ${s.record.price === null || s.record.price === undefined ? "no price" : "price " + price(s.record.price, s.record.price_unit)} `
      + `and ${Object.keys(s.record.specifications || {}).length} specifications; the current record stays until a parse is not suspect.`;
  }
  $("#versions tbody").replaceChildren(...p.versions.slice().reverse().map((v) => {
    const row = el("tr", { "data-version": v.version });
    const changed = el("td");
    const list = el("ul");
    list.append(...(v.changes.length ? v.changes : [{ summary: "no field change (where values were read from)" }])
      .map((ch) => el("li", {}, ch.summary)));
    changed.append(list);
    row.append(el("td", { class: "num" }, v.version), el("td", {}, when(v.valid_from)), el("td", {}, v.valid_to ? when(v.valid_to) : "current"),
      el("td", { class: "num" }, price(v.price, v.price_unit)), changed);
    return row;
  }));
  $("#content").hidden = false;
  document.body.dataset.loaded = "true";
}

const productKey = () => new URLSearchParams(location.search).get("key");

async function loadProduct() {
  const key = productKey();
  if (!key) { showError("No product key: open a product from the catalog list."); return; }
  try {
    const response = await api(`/api/admin/catalog/product?key=${encodeURIComponent(key)}`);
    if (response) renderProduct(await response.json());
  } catch (err) {
    showError(`The product could not be read: ${err.message}`);
  }
}

async function recrawlNow() {
  const button = $("#recrawl");
  button.disabled = true;
  try {
    const response = await api("/api/admin/recrawl", { method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ product_keys: [productKey()] }) });
    if (!response) return;
    const body = await response.json();
    const notice = $("#notice");
    notice.replaceChildren(document.createTextNode(`Re-crawl launched: ${body.runs.length} run(s) `));
    for (const run of body.runs) notice.append(el("a", { href: run.url }, `${run.run_id.slice(0, 8)} (${run.status})`), " ");
    notice.append(document.createTextNode("— this page shows the new check when the run has finished (reload)."));
    notice.hidden = false;
  } catch (err) {
    showError(`The re-crawl was not launched: ${err.message}`);
  } finally {
    button.disabled = false;
  }
}

// --- start --------------------------------------------------------------------------------------
const isList = document.body.dataset.view === "list";
const start = () => (isList ? Promise.all([loadFacets(), loadList()]) : loadProduct());

$("#login").addEventListener("submit", (event) => {
  event.preventDefault();
  sessionStorage.setItem(TOKEN_KEY, $("#token").value.trim());
  $("#token").value = "";
  start();
});

if (isList) {
  $("#filters").addEventListener("submit", (event) => { event.preventDefault(); listState.page = 1; loadList(); });
  $("#prev").addEventListener("click", () => { listState.page -= 1; loadList(); });
  $("#next").addEventListener("click", () => { listState.page += 1; loadList(); });
  for (const button of document.querySelectorAll("[data-export]")) button.addEventListener("click", () => exportFile(button.dataset.export));
} else {
  $("#recrawl").addEventListener("click", recrawlNow);
}
start();
