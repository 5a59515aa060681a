// The chat page: streams answers from POST /api/chat/stream (server-sent events over fetch),
// keeps the conversation across turns (sent back as conversation_history; kept in sessionStorage),
// and shows product cards, the estimate, companions, the sort the answer used and the passages of
// the store's documents it quotes (passages.js).
// Product text is inserted as text, never as HTML. The assistant's answer is Markdown: markdown-it
// renders it with raw HTML off and images off, DOMPurify keeps an allowlist of tags and attributes,
// and every link that survives must point at the store (see allowedLink).
"use strict";

const MAX_QUERY = 2000;
const HISTORY_KEY = "tileshop-chat-history";
const UNIT_LABELS = { box: "/ box", sqft: "/ sq. ft.", each: "each", bag: "/ bag" };
const UNIT_NOUNS = { box: ["box", "boxes"], bag: ["bag", "bags"], pail: ["pail", "pails"], each: ["piece", "pieces"],
                     piece: ["piece", "pieces"], sqft: ["sq. ft.", "sq. ft."] };
// The store's own hosts; the catalog's records may live elsewhere (a mirror, the sample catalog):
// the origins of the product URLs the API returned are the store too (storeOrigins).
const STORE_HOSTS = new Set(["tileshop.com", "www.tileshop.com"]);
const SORT_BASES = { sqft: "price per sq. ft.", per_sqft: "price per sq. ft.", unit: "price per selling unit",
                     box: "price per box", each: "price each", bag: "price per bag" };

const form = document.getElementById("ask");
const input = document.getElementById("question");
const sendButton = document.getElementById("send");
const clearButton = document.getElementById("clear");
const conversation = document.getElementById("conversation");
const errorBox = document.getElementById("error");
const counter = document.getElementById("count");
const cardTemplate = document.getElementById("product-card");

// html: false escapes raw HTML (it shows as text); images are off: an image in an answer would load
// from any https host (the CSP allows https: images for the catalog's pictures).
const markdown = window.markdownit({ html: false, linkify: true, breaks: true, typographer: false })
  .disable(["image"]);
const SANITIZE = {
  ALLOWED_TAGS: ["p", "br", "strong", "em", "b", "i", "s", "del", "code", "pre", "blockquote", "ul", "ol", "li",
                 "a", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "table", "thead", "tbody", "tr", "th", "td"],
  ALLOWED_ATTR: ["href", "start"],  // no style (the CSP would refuse it), no class, no event handlers
  ALLOWED_URI_REGEXP: /^https?:\/\//i,
  RETURN_DOM_FRAGMENT: true,
};
const storeOrigins = new Set();

let history = loadHistory();
history.forEach((m) => {
  rememberOrigins(m);
  addTurn(m.role, m.content, m, m.mode);
});

function loadHistory() {
  try {
    const saved = JSON.parse(sessionStorage.getItem(HISTORY_KEY) || "[]");
    return Array.isArray(saved) ? saved : [];
  } catch (e) {
    return [];
  }
}

function saveHistory() {
  sessionStorage.setItem(HISTORY_KEY, JSON.stringify(history.slice(-50)));
}

function showError(message) {
  errorBox.textContent = message;
  errorBox.hidden = false;
}

function clearError() {
  errorBox.hidden = true;
  errorBox.textContent = "";
}

function present(value) {
  return value !== null && value !== undefined && value !== "";
}

function money(amount) {
  return "$" + Number(amount).toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
}

function number(value) {
  return Number(value).toLocaleString("en-US", { maximumFractionDigits: 2 });
}

function unitNoun(unit, count) {
  const nouns = UNIT_NOUNS[unit] || (unit ? [unit, unit + "s"] : ["unit", "units"]);
  return count === 1 ? nouns[0] : nouns[1];
}

function formatPrice(price, unit) {
  if (!present(price)) return "Price not stated";
  return money(price) + " " + (UNIT_LABELS[unit] || (unit ? "/ " + unit : ""));
}

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (present(text)) node.textContent = text;
  return node;
}

// --- links and Markdown -------------------------------------------------------------------
function rememberOrigins(result) {
  const urls = [...(result.products || []), ...(result.companions || []).map((c) => c.product || {}),
                ...(result.citations || []), ...(result.passages || []),
                ...((result.estimate || {}).coverage_sources || [])].map((p) => p && p.url);
  urls.forEach((u) => {
    try {
      const url = new URL(u);
      if (url.protocol === "https:" || url.protocol === "http:") storeOrigins.add(url.origin);
    } catch (e) { /* not a URL: nothing to remember */ }
  });
}

// The URL when it points at the store (https tileshop.com, or the origin of a product URL the API
// returned), else null. Relative URLs are refused: they would resolve against this app.
function allowedLink(href) {
  let url;
  try {
    url = new URL(href);
  } catch (e) {
    return null;
  }
  if (url.username || url.password) return null;
  if (url.protocol === "https:" && STORE_HOSTS.has(url.hostname)) return url.href;
  if ((url.protocol === "https:" || url.protocol === "http:") && storeOrigins.has(url.origin)) return url.href;
  return null;
}

function renderMarkdown(container, text) {
  const fragment = window.DOMPurify.sanitize(markdown.render(text || ""), SANITIZE);
  fragment.querySelectorAll("a").forEach((a) => {
    const href = allowedLink(a.getAttribute("href") || "");
    if (href === null) {
      a.replaceWith(...a.childNodes);  // the link's words stay, the link goes
    } else {
      a.href = href;
      a.target = "_blank";
      a.rel = "noopener noreferrer";
    }
  });
  container.replaceChildren(fragment);
}

function setText(view, role, text) {
  if (role === "assistant") renderMarkdown(view.body, text);
  else view.body.textContent = text;
}

// --- cards --------------------------------------------------------------------------------
function productCard(product) {
  const card = cardTemplate.content.firstElementChild.cloneNode(true);
  const href = product.url ? allowedLink(product.url) : null;
  if (href) card.href = href;
  const thumb = card.querySelector(".thumb");
  const img = card.querySelector("img");
  if (product.image) {
    img.src = product.image;
    img.alt = product.name || "";
    img.addEventListener("error", () => thumb.classList.add("broken"));
  } else {
    thumb.classList.add("broken");
  }
  card.querySelector(".name").textContent = product.name || "(unnamed product)";
  card.querySelector(".sku").textContent = product.sku ? "SKU " + product.sku : "";
  const specs = [product.size, product.color, product.finish].filter(present);
  card.querySelector(".specs").textContent = specs.join(" · ");
  card.querySelector(".coverage").textContent = present(product.coverage_sqft_per_unit) && product.price_unit !== "sqft"
    ? `${number(product.coverage_sqft_per_unit)} sq. ft. per ${unitNoun(product.price_unit, 1)}` : "";
  card.querySelector(".price").textContent = formatPrice(product.price, product.price_unit);
  card.querySelector(".price-sqft").textContent = present(product.price_per_sqft) && product.price_unit !== "sqft"
    ? money(product.price_per_sqft) + " / sq. ft." : "";
  card.querySelectorAll(".info > span").forEach((span) => { if (!span.textContent) span.remove(); });
  return card;
}

function estimateCard(estimate) {
  const card = element("section", "estimate");
  card.setAttribute("aria-label", "Estimate");
  card.appendChild(element("div", "label", "Estimate"));
  const headline = element("div", "headline");
  if (present(estimate.units)) {
    headline.appendChild(element("span", "units", `${number(estimate.units)} ${unitNoun(estimate.unit, estimate.units)}`));
  }
  if (present(estimate.total)) headline.appendChild(element("span", "total", money(estimate.total)));
  card.appendChild(headline);
  const what = [estimate.name, estimate.sku ? `SKU ${estimate.sku}` : null].filter(present).join(", ");
  if (what) card.appendChild(element("div", "product", what));
  const facts = element("dl", "facts");
  const row = (term, value) => {
    if (!present(value)) return;
    facts.append(element("dt", null, term), element("dd", null, value));
  };
  row("Area", present(estimate.area_sqft) ? `${number(estimate.area_sqft)} sq. ft.` : null);
  row("Waste", present(estimate.waste_pct) ? `${number(estimate.waste_pct)}%` : null);
  row("Area with waste", present(estimate.area_with_waste_sqft) ? `${number(estimate.area_with_waste_sqft)} sq. ft.` : null);
  row("Coverage", present(estimate.coverage_per_unit)
    ? `${number(estimate.coverage_per_unit)} sq. ft. per ${unitNoun(estimate.unit, 1)}` : null);
  row("Price", present(estimate.unit_price) ? `${money(estimate.unit_price)} per ${unitNoun(estimate.unit, 1)}` : null);
  if (facts.childElementCount) card.appendChild(facts);
  const lines = (estimate.arithmetic || []).filter(present);
  if (lines.length) {
    const list = element("ul", "arithmetic");  // the lines as the API wrote them, unnumbered
    lines.forEach((line) => list.appendChild(element("li", null, String(line))));
    card.appendChild(list);
  }
  const sources = coverageSources(estimate.coverage_sources);
  if (sources) card.appendChild(sources);
  if (present(estimate.source)) {
    const source = element("div", "source", "Source: ");
    const href = allowedLink(String(estimate.source));
    if (href) {
      const link = element("a", null, href);
      link.href = href;
      link.target = "_blank";
      link.rel = "noopener noreferrer";
      source.appendChild(link);
    } else {
      source.appendChild(document.createTextNode(String(estimate.source)));
    }
    card.appendChild(source);
  }
  return card;
}

function sortNote(sort) {
  if (!sort || !present(sort.by)) return null;
  const by = String(sort.by).toLowerCase();
  if (by === "relevance") return element("p", "sort", "Sorted by relevance to the question.");
  const basis = SORT_BASES[sort.basis] || (present(sort.basis) ? String(sort.basis) : "price");
  const order = /desc|high|expensive/.test(by) ? "highest first" : /asc|low|cheap/.test(by) ? "lowest first" : null;
  return element("p", "sort", `Sorted by ${basis}` + (order ? `, ${order}.` : ` (${sort.by}).`));
}

function companionsBlock(companions) {
  const block = element("section", "companions");
  block.appendChild(element("h3", null, "Goes with it"));
  const cards = element("div", "cards");
  companions.forEach((c) => {
    if (!c || !c.product) return;
    const item = element("div", "companion");
    const caption = [c.kind, c.reason].filter(present).map(String);
    if (caption.length) {
      const why = element("div", "reason");
      if (present(c.kind)) why.appendChild(element("span", "kind", String(c.kind)));
      if (present(c.reason)) why.appendChild(document.createTextNode(String(c.reason)));
      item.appendChild(why);
    }
    item.appendChild(productCard(c.product));
    cards.appendChild(item);
  });
  block.appendChild(cards);
  return cards.childElementCount ? block : null;
}

function toolCallsBlock(calls) {
  const block = element("details", "tool-calls");
  block.appendChild(element("summary", null, `Catalog look-ups (${calls.length})`));
  const list = element("ul");
  calls.forEach((call) => {
    const item = element("li", call.ok === false ? "failed" : "ok");
    item.appendChild(element("code", null, String(call.name || "?")));
    if (call.input !== undefined) item.appendChild(element("span", "input", " " + JSON.stringify(call.input)));
    if (call.ok === false) item.appendChild(element("span", "error", " failed: " + (call.error || "no reason given")));
    list.appendChild(item);
  });
  block.appendChild(list);
  return block;
}

// Everything the result carries besides the text; fields the API does not send render nothing.
function showResult(view, result) {
  const extras = [];
  if (result.estimate) extras.push(estimateCard(result.estimate));
  const sort = sortNote(result.sort);  // it describes the cards: right above them
  if (sort) extras.push(sort);
  view.extras.replaceChildren(...extras);
  // A companion is shown once, in "Goes with it" with its reason, not again among the cards.
  const companionSkus = new Set((result.companions || []).map((c) => (c.product || {}).sku).filter(Boolean));
  view.cards.replaceChildren(...(result.products || []).filter((p) => !companionSkus.has(p.sku)).map(productCard));
  const more = [];
  if (Array.isArray(result.passages) && result.passages.length) {
    const block = passagesBlock(result.passages);
    if (block) more.push(block);
  }
  if (Array.isArray(result.companions) && result.companions.length) {
    const block = companionsBlock(result.companions);
    if (block) more.push(block);
  }
  if (Array.isArray(result.tool_calls) && result.tool_calls.length) more.push(toolCallsBlock(result.tool_calls));
  view.after.replaceChildren(...more);
}

function addTurn(role, text, result, mode) {
  const turn = element("article", "turn " + role);
  const who = element("div", "who", role === "user" ? "You" : "Assistant");
  const badge = element("span", "mode");
  who.appendChild(badge);
  const body = element("div", "text");
  const extras = element("div", "extras");
  const cards = element("div", "cards");
  const after = element("div", "after");
  turn.append(who, body, extras, cards, after);
  conversation.appendChild(turn);
  const view = { turn, body, extras, cards, after, badge };
  setText(view, role, text);
  if (mode) setMode(view, mode);
  if (result) showResult(view, result);
  return view;
}

function setMode(view, mode) {
  view.badge.className = "mode " + mode;
  view.badge.textContent = mode === "claude" ? "Claude" : "offline answer";
}

// --- the stream ---------------------------------------------------------------------------
// Parse a text/event-stream body incrementally; calls onEvent(name, data) per event.
async function readEvents(response, onEvent) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let split;
    while ((split = buffer.indexOf("\n\n")) >= 0) {
      const raw = buffer.slice(0, split);
      buffer = buffer.slice(split + 2);
      let name = "message";
      const data = [];
      raw.split("\n").forEach((line) => {
        if (line.startsWith("event:")) name = line.slice(6).trim();
        else if (line.startsWith("data:")) data.push(line.slice(5).trimStart());
      });
      if (data.length) onEvent(name, JSON.parse(data.join("\n")));
    }
  }
}

async function errorMessage(response) {
  let detail = "";
  try {
    const body = await response.json();
    detail = typeof body.detail === "string" ? body.detail
      : Array.isArray(body.detail) ? body.detail.map((d) => d.msg).join("; ") : "";
  } catch (e) { /* not JSON */ }
  if (response.status === 429) {
    const wait = response.headers.get("Retry-After") || "a few";
    return `Too many questions at once. Please wait ${wait} seconds and ask again.`;
  }
  if (response.status === 413) return "That message is too long to send.";
  if (response.status === 422) return "The question could not be read" + (detail ? ": " + detail : ".");
  if (response.status === 503 && response.headers.get("Retry-After")) {
    return `The assistant is busy. Please wait ${response.headers.get("Retry-After")} seconds and ask again.`;
  }
  if (response.status === 503) return "The catalog is unavailable right now. Please try again shortly.";
  return `The assistant failed (HTTP ${response.status})` + (detail ? ": " + detail : ".");
}

async function ask(question) {
  clearError();
  const past = history.map((m) => ({ role: m.role, content: m.content }));
  const asked = addTurn("user", question, null);
  const view = addTurn("assistant", "", null);
  view.body.classList.add("pending");
  sendButton.disabled = true;
  let answer = "";
  let result = null;
  // Deltas re-render the whole answer at most once a frame: Markdown is only well formed as a whole.
  let frame = 0;
  const renderSoon = () => {
    if (!frame) frame = requestAnimationFrame(() => { frame = 0; renderMarkdown(view.body, answer); });
  };
  try {
    const response = await fetch("/api/chat/stream", {
      method: "POST",
      headers: { "Content-Type": "application/json", "Accept": "text/event-stream" },
      body: JSON.stringify({ query: question, conversation_history: past }),
    });
    if (!response.ok) throw new Error(await errorMessage(response));
    await readEvents(response, (name, data) => {
      if (name === "delta") {
        answer += data.text;
        renderSoon();
      } else if (name === "reset") {
        answer = "";
        renderSoon();
      } else if (name === "products") {
        result = data;
      }
    });
    if (!result) throw new Error("The answer was cut off. Please ask again.");
    cancelAnimationFrame(frame);
    frame = 0;
    rememberOrigins(result);  // before rendering: links to this answer's products are the store's
    renderMarkdown(view.body, result.answer);
    setMode(view, result.mode);
    showResult(view, result);
    history.push({ role: "user", content: question });
    history.push({ role: "assistant", content: result.answer, mode: result.mode, products: result.products,
                   citations: result.citations, estimate: result.estimate, sort: result.sort,
                   companions: result.companions, passages: result.passages, tool_calls: result.tool_calls });
    saveHistory();
  } catch (err) {
    cancelAnimationFrame(frame);
    view.turn.remove();
    asked.turn.remove();
    input.value = question;  // nothing lost: the question is back in the box
    counter.textContent = `${question.length} / ${MAX_QUERY}`;
    const message = err instanceof TypeError ? "Cannot reach the assistant. Check your connection and try again."
      : err.message;
    showError(message);
  } finally {
    view.body.classList.remove("pending");
    sendButton.disabled = false;
    view.turn.scrollIntoView({ block: "end" });
  }
}

input.addEventListener("input", () => {
  counter.textContent = `${input.value.length} / ${MAX_QUERY}`;
});

input.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && !event.shiftKey) {
    event.preventDefault();
    form.requestSubmit();
  }
});

form.addEventListener("submit", (event) => {
  event.preventDefault();
  const question = input.value.trim();
  if (!question) {
    showError("Type a question first.");
    return;
  }
  input.value = "";
  counter.textContent = `0 / ${MAX_QUERY}`;
  ask(question);
});

clearButton.addEventListener("click", () => {
  history = [];
  saveHistory();
  conversation.replaceChildren();
  clearError();
});
