// The store's documents on the chat page: the passages an answer cites ("From the store's
// documents": the document, its page and section, the passage's words and the products that link
// it) and the data sheet rows an estimate's coverage comes from. A passage the answer's text quotes
// already (`quoted`: an offline answer, each passage in its numbered item under its document, page,
// products and address) is not shown again. Everything is inserted as text; a document's link
// survives only when it points at the store (allowedLink, chat.js, which also remembers the
// documents' origins as the store's).
"use strict";

function documentLink(label, href) {
  const allowed = href ? allowedLink(String(href)) : null;
  if (!allowed) return document.createTextNode(label);
  const link = element("a", null, label);
  link.href = allowed;
  link.target = "_blank";
  link.rel = "noopener noreferrer";
  return link;
}

function passagesBlock(passages) {
  const block = element("section", "passages");
  block.appendChild(element("h3", null, "From the store's documents"));
  passages.forEach((p) => {
    if (!p || p.quoted || !present(p.text)) return;
    const item = element("article", "passage");
    const where = element("div", "where");
    const page = present(p.page) ? `, page ${p.page}` : "";
    where.appendChild(documentLink(`${p.document || "Document"}${page}`, p.source || p.url));
    if (present(p.section)) where.appendChild(element("span", "section", ` · ${p.section}`));
    item.appendChild(where);
    item.appendChild(element("blockquote", null, String(p.text)));
    const products = (p.products || []).filter((x) => x && present(x.sku));
    if (products.length) {
      const more = (p.product_count || products.length) - products.length;
      const names = products.map((x) => `${x.name || "product"} (SKU ${x.sku})`).join(", ");
      item.appendChild(element("div", "linked", `For ${names}` + (more > 0 ? ` and ${more} more` : "")));
    }
    block.appendChild(item);
  });
  return block.childElementCount > 1 ? block : null;
}

function coverageSources(sources) {
  const list = element("ul", "coverage-sources");
  (sources || []).forEach((s) => {
    if (!s || !present(s.document)) return;
    const item = element("li");
    item.appendChild(element("span", "what", `${s.what || "coverage"}: `));
    item.appendChild(documentLink(`${s.document}, page ${s.page}`, s.source));
    if (present(s.statement)) item.appendChild(element("q", null, String(s.statement)));
    list.appendChild(item);
  });
  return list.childElementCount ? list : null;
}
