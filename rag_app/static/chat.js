// The chat page: streams answers from POST /api/chat/stream (server-sent events over fetch),
// keeps the conversation across turns (sent back as conversation_history; kept in sessionStorage),
// and shows product cards. Product text is inserted as text, never as HTML.
"use strict";

const MAX_QUERY = 2000;
const HISTORY_KEY = "tileshop-chat-history";
const UNIT_LABELS = { box: "/ box", sqft: "/ sq. ft.", each: "each", bag: "/ bag" };

const form = document.getElementById("ask");
const input = document.getElementById("question");
const sendButton = document.getElementById("send");
const clearButton = document.getElementById("clear");
const conversation = document.getElementById("conversation");
const errorBox = document.getElementById("error");
const counter = document.getElementById("count");
const cardTemplate = document.getElementById("product-card");

let history = loadHistory();
history.forEach((m) => addTurn(m.role, m.content, m.products || [], m.mode));

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

function formatPrice(price, unit) {
  if (price === null || price === undefined) return "Price not stated";
  const amount = "$" + Number(price).toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  return amount + " " + (UNIT_LABELS[unit] || (unit ? "/ " + unit : ""));
}

function productCard(product) {
  const card = cardTemplate.content.firstElementChild.cloneNode(true);
  if (product.url) card.href = product.url;
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
  card.querySelector(".price").textContent = formatPrice(product.price, product.price_unit);
  return card;
}

function addTurn(role, text, products, mode) {
  const turn = document.createElement("article");
  turn.className = "turn " + role;
  const who = document.createElement("div");
  who.className = "who";
  who.textContent = role === "user" ? "You" : "Assistant";
  const badge = document.createElement("span");
  badge.className = "mode";
  who.appendChild(badge);
  const body = document.createElement("p");
  body.className = "text";
  body.textContent = text;
  const cards = document.createElement("div");
  cards.className = "cards";
  turn.append(who, body, cards);
  conversation.appendChild(turn);
  const view = { turn, body, cards, badge };
  if (mode) setMode(view, mode);
  (products || []).forEach((p) => cards.appendChild(productCard(p)));
  return view;
}

function setMode(view, mode) {
  view.badge.className = "mode " + mode;
  view.badge.textContent = mode === "claude" ? "Claude" : "offline answer";
}

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
  const asked = addTurn("user", question, []);
  const view = addTurn("assistant", "", []);
  view.body.classList.add("pending");
  sendButton.disabled = true;
  let answer = "";
  let result = null;
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
        view.body.textContent = answer;
      } else if (name === "reset") {
        answer = "";
        view.body.textContent = "";
      } else if (name === "products") {
        result = data;
      }
    });
    if (!result) throw new Error("The answer was cut off. Please ask again.");
    view.body.textContent = result.answer;
    setMode(view, result.mode);
    result.products.forEach((p) => view.cards.appendChild(productCard(p)));
    history.push({ role: "user", content: question });
    history.push({ role: "assistant", content: result.answer, products: result.products, mode: result.mode });
    saveHistory();
  } catch (err) {
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
