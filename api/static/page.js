// Questions sur articles: the page's script. It talks to the service through the HTTP API only
// (POST /ask, GET /documents, GET /documents/{id}) and builds every piece of text with text nodes
// (textContent), never innerHTML: an article or a question holding "<script>" shows as text.
//
// The address holds the state, so a link can be shared and the back button works:
//   /?q=QUESTION[&mode=hybrid|dense|bm25][&article=ID ...][&du=DATE][&au=DATE][&sans_date=0][&n=TOP_K]
//   /?doc=ID&start=S&end=E[&astart=S2&aend=E2][&q=...]   an article, the span [S, E) highlighted
//                                                          (and the answer [S2, E2) inside it)
(function () {
  "use strict";

  const MODES = ["hybrid", "dense", "bm25"];
  const ASK_PARAMS = ["q", "mode", "article", "du", "au", "sans_date", "n"];
  const $ = (id) => document.getElementById(id);
  const form = $("ask");
  const input = $("q");
  const status = $("status");
  const result = $("result");
  const reader = $("reader");
  const cache = new Map(); // request body (JSON) -> response body, so the back button does not ask again
  const titles = new Map(); // doc_id -> {title, date, url, site_name, author, format, file_name}, from GET /documents
  let sequence = 0; // the latest request wins: an answer arriving late is dropped
  let documentsLoaded = null;

  // ---- small DOM helpers (text only) ----

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (name === "className") node.className = value;
      else node.setAttribute(name, value === true ? "" : String(value));
    }
    for (const child of children) append(node, child);
    return node;
  }

  function append(node, child) {
    if (child === null || child === undefined || child === false) return;
    if (Array.isArray(child)) child.forEach((c) => append(node, c));
    else if (child instanceof Node) node.appendChild(child);
    else node.appendChild(document.createTextNode(String(child)));
  }

  // `text` with [start, end) wrapped in <mark>; out-of-range offsets give the plain text.
  function highlighted(text, start, end, markAttrs) {
    const fragment = document.createDocumentFragment();
    if (!(Number.isInteger(start) && Number.isInteger(end) && 0 <= start && start < end && end <= text.length)) {
      fragment.appendChild(document.createTextNode(text));
      return fragment;
    }
    if (start > 0) fragment.appendChild(document.createTextNode(text.slice(0, start)));
    fragment.appendChild(el("mark", markAttrs || {}, text.slice(start, end)));
    if (end < text.length) fragment.appendChild(document.createTextNode(text.slice(end)));
    return fragment;
  }

  function number(value, digits) {
    return value.toLocaleString("fr-FR", { minimumFractionDigits: digits, maximumFractionDigits: digits });
  }

  const MONTHS = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre", "décembre"];

  // "2025" -> "2025", "2025-10" -> "octobre 2025", "2025-10-02" -> "2 octobre 2025"
  function frenchDate(iso) {
    if (!iso) return null;
    const m = /^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$/.exec(iso);
    if (!m) return iso;
    if (!m[2]) return m[1];
    const month = MONTHS[Number(m[2]) - 1];
    if (!month) return iso;
    if (!m[3]) return `${month} ${m[1]}`;
    const day = Number(m[3]);
    return `${day === 1 ? "1er" : day} ${month} ${m[1]}`;
  }

  function knownTitle(docId, given) {
    const known = titles.get(docId);
    return given || (known && known.title) || null;
  }

  // An untitled article is named by its opening words.
  function openingWords(text) {
    const flat = text.replace(/\s+/g, " ").trim();
    if (flat.length <= 90) return flat;
    const cut = flat.lastIndexOf(" ", 90);
    return flat.slice(0, cut > 50 ? cut : 90).replace(/[\s.,;:!?…]+$/, "") + "…"; // "calcul." -> "calcul…"
  }

  function documentPath(docId) {
    return "/documents/" + docId.split("/").map(encodeURIComponent).join("/");
  }

  const openings = new Map(); // doc_id -> Promise of the opening words of an untitled article
  function opening(docId) {
    if (!openings.has(docId)) {
      openings.set(
        docId,
        call("GET", documentPath(docId)).then((reply) => (reply.ok && reply.body && typeof reply.body.text === "string" ? openingWords(reply.body.text) : null)),
      );
    }
    return openings.get(docId);
  }

  function dateOf(docId, fallbackDate) {
    const known = titles.get(docId);
    return frenchDate(fallbackDate || (known && known.date) || null);
  }

  // ---- the address ----

  function readAddress() {
    const params = new URLSearchParams(window.location.search);
    const int = (name) => {
      const raw = params.get(name);
      return raw !== null && /^\d+$/.test(raw) ? Number(raw) : null;
    };
    return {
      q: params.get("q") || "",
      mode: MODES.includes(params.get("mode")) ? params.get("mode") : "",
      articles: params.getAll("article").filter(Boolean),
      du: params.get("du") || "",
      au: params.get("au") || "",
      undated: params.get("sans_date") !== "0",
      n: int("n"),
      doc: params.get("doc"),
      start: int("start"),
      end: int("end"),
      astart: int("astart"),
      aend: int("aend"),
    };
  }

  // The question and its options as query parameters (the defaults left out).
  function askParams(state) {
    const params = new URLSearchParams();
    params.set("q", state.q);
    if (state.mode) params.set("mode", state.mode);
    for (const id of state.articles) params.append("article", id);
    if (state.du) params.set("du", state.du);
    if (state.au) params.set("au", state.au);
    if (!state.undated) params.set("sans_date", "0");
    if (state.n !== null && state.n !== 5) params.set("n", String(state.n));
    return params;
  }

  function answersUrl(state) {
    return "/?" + askParams(state).toString();
  }

  function articleUrl(docId, start, end, answerSpan) {
    const params = new URLSearchParams();
    params.set("doc", docId);
    params.set("start", String(start));
    params.set("end", String(end));
    if (answerSpan) {
      params.set("astart", String(answerSpan[0]));
      params.set("aend", String(answerSpan[1]));
    }
    // keep the question, so the article page can lead back to the answers
    const current = readAddress();
    if (current.q) for (const [k, v] of askParams(current)) params.append(k, v);
    return "/?" + params.toString();
  }

  // ---- the form <-> the address ----

  function formState() {
    const mode = form.querySelector('input[name="mode"]:checked');
    const checked = Array.from(document.querySelectorAll('#article-list input[type="checkbox"]:checked')).map((box) => box.value);
    const n = Number($("n").value);
    return {
      q: input.value,
      mode: mode ? mode.value : "",
      articles: checked,
      du: $("du").value.trim(),
      au: $("au").value.trim(),
      undated: $("undated").checked,
      n: Number.isInteger(n) && $("n").value !== "" ? n : null,
    };
  }

  function fillForm(state) {
    input.value = state.q;
    for (const radio of form.querySelectorAll('input[name="mode"]')) radio.checked = radio.value === state.mode;
    $("du").value = state.du;
    $("au").value = state.au;
    $("undated").checked = state.undated;
    $("n").value = state.n === null ? "5" : String(state.n);
    const wanted = new Set(state.articles);
    for (const box of document.querySelectorAll('#article-list input[type="checkbox"]')) box.checked = wanted.has(box.value);
    // options that differ from the defaults are shown, so a shared link says what it filters
    if (state.mode || state.articles.length || state.du || state.au || !state.undated || (state.n !== null && state.n !== 5)) {
      $("options").open = true;
    }
  }

  // ---- talking to the service ----

  async function call(method, path, body) {
    let response;
    try {
      response = await fetch(path, {
        method,
        headers: body === undefined ? { accept: "application/json" } : { "content-type": "application/json", accept: "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (error) {
      return { ok: false, status: 0, body: null };
    }
    let data = null;
    try {
      data = await response.json();
    } catch (error) {
      data = null;
    }
    return { ok: response.ok, status: response.status, body: data };
  }

  // The API's field names, as the page labels them (a 422 detail names the field it refuses).
  const FIELDS = {
    question: "Votre question",
    top_k: "Nombre de sources",
    mode: "Recherche des passages",
    doc_ids: "Articles",
    date_from: "Du",
    date_to: "Au",
    include_undated: "Garder les articles sans date",
  };

  // A readable French message for an API error: what happened, then the service's own words.
  function errorMessage(status, body, what) {
    const detail = body && typeof body.detail === "string" ? body.detail : null;
    const requestId = body && typeof body.request_id === "string" ? body.request_id : null;
    let title;
    let text;
    if (status === 0) {
      title = "Le service ne répond pas";
      text = "Impossible de joindre le service. Vérifiez qu’il tourne, puis réessayez.";
    } else if (status === 422 || status === 400) {
      title = what === "ask" ? "La question n’a pas été acceptée" : "Demande refusée";
      text = "Le service a refusé la question ou une option. Corrigez-la puis demandez à nouveau.";
    } else if (status === 404) {
      title = "Article introuvable";
      text = "Cet article n’est pas (ou plus) dans l’index.";
    } else if (status === 503) {
      title = "Le service n’est pas prêt";
      text = "Les articles ou le modèle ne sont pas chargés. Réessayez dans un instant ou prévenez la personne qui gère le service.";
    } else {
      title = "Erreur du service";
      text = "Le service n’a pas pu répondre.";
    }
    const fields = status === 422 && detail ? Object.keys(FIELDS).filter((name) => new RegExp(`\\b${name}\\b`).test(detail)) : [];
    if (fields.length) text += ` À corriger : ${fields.map((name) => `« ${FIELDS[name]} »`).join(", ")}.`;
    return { title, text, detail, requestId, status };
  }

  function errorBox(error) {
    return el(
      "div",
      { className: "error-box", role: "alert" },
      el("h2", {}, error.status ? `${error.title} (erreur ${error.status})` : error.title),
      el("p", {}, error.text),
      error.detail ? el("p", { className: "detail" }, "Détail : ", error.detail) : null,
      error.requestId ? el("p", { className: "meta" }, "Référence de la requête : ", error.requestId) : null,
    );
  }

  function loadDocuments() {
    if (documentsLoaded) return documentsLoaded;
    documentsLoaded = call("GET", "/documents").then((reply) => {
      const list = $("article-list");
      list.replaceChildren();
      if (!reply.ok || !Array.isArray(reply.body)) {
        list.appendChild(el("p", { className: "hint" }, "Liste des articles indisponible pour l’instant."));
        documentsLoaded = null; // try again next time
        return;
      }
      const wanted = new Set(readAddress().articles);
      for (const doc of reply.body) {
        titles.set(doc.doc_id, {
          title: doc.title,
          date: doc.date,
          url: doc.url,
          site_name: doc.site_name,
          author: doc.author,
          format: doc.format,
          file_name: doc.file_name,
        });
        const date = frenchDate(doc.date);
        list.appendChild(
          el(
            "label",
            { className: "choice" },
            el("input", { type: "checkbox", value: doc.doc_id, checked: wanted.has(doc.doc_id) }),
            el("span", {}, doc.title || doc.doc_id, " ", el("small", {}, date ? `(${date})` : `(${doc.doc_id})`)),
          ),
        );
      }
      const count = reply.body.length;
      $("corpus-note").textContent = `Réponses extraites hors ligne de ${count} article${count > 1 ? "s" : ""} indexé${count > 1 ? "s" : ""}, sans service extérieur.`;
    });
    return documentsLoaded;
  }

  // ---- rendering the answer ----

  const BANDS = [
    [0.8, "élevée", "high"],
    [0.6, "bonne", "high"],
    [0.3, "moyenne", "medium"],
    [0, "faible", "low"],
  ];

  function confidence(score) {
    const [, words, tone] = BANDS.find(([floor]) => score >= floor);
    const right = Math.round(score * 10);
    const share = right < 1 ? "moins d’une réponse sur 10" : `environ ${right} réponse${right > 1 ? "s" : ""} sur 10`;
    return el(
      "p",
      { className: `confidence ${tone}`, id: "confidence", "data-score": String(score) },
      `Confiance ${words} : ${number(score, 2)}`,
      el("meter", { min: "0", max: "1", low: "0.3", high: "0.6", optimum: "1", value: String(score), "aria-hidden": "true" }),
      el(
        "span",
        { className: "confidence-help" },
        `Lors de l’évaluation, ${share} de ce niveau étai${right > 1 ? "en" : ""}t juste${right > 1 ? "s" : ""}. Vérifiez dans l’article.`,
      ),
    );
  }

  function sourceLink(docId, start, end, label, answerSpan) {
    return el("a", { href: articleUrl(docId, start, end, answerSpan), "data-nav": "article", "data-doc": docId }, label);
  }

  // The link to an article: its title, or for an untitled one its id, then its opening words once fetched.
  function titleLink(docId, start, end, given, answerSpan) {
    const title = knownTitle(docId, given);
    const link = sourceLink(docId, start, end, title || docId, answerSpan);
    if (!title) {
      link.dataset.untitled = "pending";
      link.title = docId;
      opening(docId).then((words) => {
        if (words) link.textContent = words;
        link.dataset.untitled = "done";
      });
    }
    return link;
  }

  // The source's address, only when it is a web address (never a javascript: link).
  function webAddress(url) {
    return typeof url === "string" && /^https?:\/\//i.test(url) ? url : null;
  }

  function hostOf(url) {
    try {
      return new URL(url).hostname.replace(/^www\./, "");
    } catch (error) {
      return url;
    }
  }

  // A link to the article's original page, named by its site: "source : Le Courrier de l'Ouest".
  function sourceAnchor(docId, attrs) {
    const known = titles.get(docId);
    const url = known ? webAddress(known.url) : null;
    if (!url) return null;
    return el("a", { href: url, rel: "noopener noreferrer", className: "source-link", ...(attrs || {}) }, `source : ${known.site_name || hostOf(url)}`);
  }

  const FORMATS = { txt: "texte", md: "Markdown", jsonl: "JSONL", html: "page web", pdf: "PDF", docx: "Word", rss: "flux RSS", atom: "flux Atom" };

  function dateLine(docId, date) {
    const when = dateOf(docId, date);
    return when ? el("span", { className: "meta" }, when) : null;
  }

  // A span of another answer: its text, its sentence (the span marked where it first occurs), a link.
  function spanItem(span, withScore) {
    const at = span.sentence.indexOf(span.text);
    const head = el(
      "p",
      { className: "cite-head" },
      el("span", { className: "span-text" }, span.text),
      withScore ? el("span", { className: "meta" }, `confiance ${number(span.score, 2)}`) : null,
    );
    return el(
      "li",
      { "data-doc": span.doc_id, "data-start": span.start, "data-end": span.end },
      head,
      el("p", { className: "sentence" }, at >= 0 ? highlighted(span.sentence, at, at + span.text.length) : span.sentence),
      el(
        "p",
        { className: "where" },
        "Dans ",
        titleLink(span.doc_id, span.start, span.end, null),
        " ",
        dateLine(span.doc_id, null),
      ),
    );
  }

  function citationItem(citation, answer, rank) {
    const inside = answer && answer.doc_id === citation.doc_id && citation.start <= answer.start && answer.end <= citation.end;
    const passage = inside
      ? highlighted(citation.text, answer.start - citation.start, answer.end - citation.start, { className: "answer" })
      : document.createTextNode(citation.text);
    const answerSpan = inside ? [answer.start, answer.end] : null;
    return el(
      "li",
      {
        className: "citation",
        "data-doc": citation.doc_id,
        "data-start": citation.start,
        "data-end": citation.end,
        "data-has-answer": inside ? "true" : "false",
      },
      el(
        "div",
        { className: "cite-head" },
        el("h3", {}, `${rank}. `, titleLink(citation.doc_id, citation.start, citation.end, citation.title, answerSpan)),
        dateLine(citation.doc_id, citation.date),
        el("span", { className: "meta" }, `pertinence ${number(citation.score, 2)}`),
        sourceAnchor(citation.doc_id),
      ),
      el("p", { className: "passage" }, passage),
    );
  }

  function renderResult(body) {
    const answer = body.answer;
    const parts = [el("p", { className: "question-echo" }, "Question : « ", el("span", { id: "asked" }, body.question), " »")];
    if (answer) {
      const answerSource = sourceAnchor(answer.doc_id, { id: "answer-source" }); // the original page, when known
      parts.push(
        el(
          "div",
          { className: "answer-card" },
          el("p", { className: "answer-label" }, "Réponse"),
          el(
            "p",
            { className: "answer-text", id: "answer", "data-doc": answer.doc_id, "data-start": answer.start, "data-end": answer.end },
            answer.text,
          ),
          confidence(answer.score),
          el(
            "blockquote",
            { className: "sentence", id: "answer-sentence", "data-start": answer.sentence_start, "data-end": answer.sentence_end },
            highlighted(answer.sentence, answer.start - answer.sentence_start, answer.end - answer.sentence_start),
          ),
          el(
            "p",
            { className: "where" },
            "Dans ",
            titleLink(answer.doc_id, answer.start, answer.end, null),
            " ",
            dateLine(answer.doc_id, null),
            " — ",
            sourceLink(answer.doc_id, answer.start, answer.end, "voir la réponse dans l’article"),
            answerSource ? [" — ", answerSource] : null,
          ),
        ),
      );
      if (answer.supporting.length) {
        parts.push(
          el("h2", { className: "section" }, "Aussi dans d’autres articles"),
          el("ul", { className: "spans", id: "supporting" }, answer.supporting.map((s) => spanItem(s, false))),
        );
      }
      if (answer.alternatives.length) {
        parts.push(
          el("h2", { className: "section" }, "Autres réponses possibles"),
          el("ul", { className: "spans", id: "alternatives" }, answer.alternatives.map((s) => spanItem(s, true))),
        );
      }
    } else {
      parts.push(
        el(
          "div",
          { className: "no-answer", id: "no-answer" },
          el("h2", {}, "Les articles ne le disent pas"),
          el(
            "p",
            {},
            body.citations.length
              ? "Aucune réponse assez sûre n’a été trouvée. Voici les passages les plus proches de la question."
              : "Aucune réponse n’a été trouvée, et aucun passage ne correspond aux options choisies.",
          ),
        ),
      );
    }
    if (body.citations.length) {
      parts.push(
        el("h2", { className: "section" }, answer ? "Sources" : "Passages les plus proches"),
        el("ol", { className: "citations", id: "citations" }, body.citations.map((c, i) => citationItem(c, answer, i + 1))),
      );
    }
    parts.push(el("p", { className: "took" }, `Répondu en ${number(body.took_ms, 0)} ms.`));
    result.replaceChildren(...parts);
    result.dataset.state = answer ? "answer" : "no-answer";
    status.textContent = answer ? `Réponse : ${answer.text}` : "Les articles ne le disent pas.";
  }

  function requestBody(state) {
    const body = { question: state.q };
    if (state.n !== null) body.top_k = state.n;
    if (state.mode) body.mode = state.mode;
    if (state.articles.length) body.doc_ids = state.articles;
    if (state.du) body.date_from = state.du;
    if (state.au) body.date_to = state.au;
    if (!state.undated) body.include_undated = false;
    return body;
  }

  async function showAnswers(state) {
    reader.hidden = true;
    reader.dataset.state = "idle";
    result.hidden = false;
    document.title = `${state.q} — Questions sur articles`;
    const body = requestBody(state);
    const key = JSON.stringify(body);
    const mine = ++sequence;
    let reply = cache.get(key);
    if (!reply) {
      result.dataset.state = "loading";
      result.setAttribute("aria-busy", "true");
      status.textContent = "Recherche dans les articles…";
      result.replaceChildren(el("p", { className: "loading" }, "Recherche dans les articles…"));
      await loadDocuments(); // titles for the answer's and the alternatives' articles
      reply = await call("POST", "/ask", body);
      if (reply.ok) cache.set(key, reply);
    }
    if (mine !== sequence) return;
    result.removeAttribute("aria-busy");
    delete result.dataset.status;
    if (reply.ok && reply.body) {
      renderResult(reply.body);
    } else {
      const error = errorMessage(reply.status, reply.body, "ask");
      result.replaceChildren(errorBox(error));
      result.dataset.state = "error";
      result.dataset.status = String(reply.status);
      status.textContent = error.title;
    }
  }

  // ---- rendering an article ----

  async function showArticle(state) {
    const mine = ++sequence;
    result.hidden = true;
    reader.hidden = false;
    reader.dataset.state = "loading";
    status.textContent = "Chargement de l’article…";
    reader.replaceChildren(el("p", { className: "loading" }, "Chargement de l’article…"));
    const reply = await call("GET", documentPath(state.doc));
    if (mine !== sequence) return;
    const back = state.q
      ? el("a", { href: answersUrl(state), className: "back", "data-nav": "back" }, "← Retour aux réponses")
      : el("a", { href: "/", className: "back", "data-nav": "back" }, "← Poser une question");
    if (!reply.ok || !reply.body) {
      const error = errorMessage(reply.status, reply.body, "document");
      reader.replaceChildren(back, errorBox(error));
      reader.dataset.state = "error";
      status.textContent = error.title;
      return;
    }
    const doc = reply.body;
    const text = doc.text;
    const spanOk = state.start !== null && state.end !== null && state.start < state.end && state.end <= text.length;
    const textNode = el("div", { className: "doc-text", id: "doc-text", "data-doc": doc.doc_id });
    if (spanOk) {
      const outer = el("mark", { className: "passage", id: "span", tabindex: "-1", "data-start": state.start, "data-end": state.end });
      const inner = state.astart !== null && state.aend !== null && state.start <= state.astart && state.astart < state.aend && state.aend <= state.end;
      const spanText = text.slice(state.start, state.end);
      if (inner) {
        outer.appendChild(highlighted(spanText, state.astart - state.start, state.aend - state.start, { className: "answer", id: "span-answer" }));
      } else {
        outer.className = "answer";
        outer.appendChild(document.createTextNode(spanText));
      }
      if (state.start > 0) textNode.appendChild(document.createTextNode(text.slice(0, state.start)));
      textNode.appendChild(outer);
      if (state.end < text.length) textNode.appendChild(document.createTextNode(text.slice(state.end)));
    } else {
      textNode.appendChild(document.createTextNode(text));
    }
    const date = frenchDate(doc.date);
    const url = webAddress(doc.url); // never a javascript: link
    const origin = [
      doc.author ? `Par ${doc.author}` : null,
      doc.site_name || null,
      doc.format ? `${FORMATS[doc.format] || doc.format}${doc.file_name ? ` « ${doc.file_name} »` : ""}` : null,
    ].filter(Boolean);
    reader.replaceChildren(
      back,
      el(
        "article",
        {},
        el("h1", { id: "doc-title" }, doc.title || openingWords(text)),
        el(
          "p",
          { className: "meta" },
          date ? `${date} · ` : "",
          doc.doc_id,
          ` · ${number(text.length, 0)} caractères`,
          url ? [" · ", el("a", { href: url, rel: "noopener noreferrer", id: "doc-source" }, "source d’origine")] : null,
        ),
        origin.length ? el("p", { className: "meta", id: "doc-origin" }, origin.join(" · ")) : null,
        doc.summary_only
          ? el("p", { className: "hint", id: "doc-summary-only" }, "Résumé seulement : le flux ne donnait que ce résumé de l’article.")
          : null,
        spanOk ? null : el("p", { className: "hint" }, "Passage non indiqué : l’article entier est affiché."),
        textNode,
      ),
    );
    document.title = `${doc.title || openingWords(text)} — Questions sur articles`;
    reader.dataset.state = "article";
    status.textContent = spanOk ? "Article ouvert au passage surligné." : "Article ouvert.";
    const mark = $("span");
    if (mark) {
      mark.scrollIntoView({ block: "center" });
      mark.focus({ preventScroll: true });
    } else {
      window.scrollTo(0, 0);
    }
  }

  // ---- navigation ----

  function route() {
    const state = readAddress();
    fillForm(state);
    if (state.doc) {
      showArticle(state);
    } else if (state.q !== "") {
      showAnswers(state);
    } else {
      sequence++;
      reader.hidden = true;
      result.hidden = false;
      result.replaceChildren();
      result.dataset.state = "idle";
      status.textContent = "";
      document.title = "Questions sur articles";
      input.focus(); // nothing asked yet: the page is for typing a question
    }
  }

  function navigate(url, replace, marker) {
    const here = window.location.pathname + window.location.search;
    if (url === here || replace) history.replaceState(marker || null, "", url);
    else history.pushState(marker || null, "", url);
    route();
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const state = formState();
    const url = answersUrl(state);
    const here = window.location.pathname + window.location.search;
    if (url === here) cache.delete(JSON.stringify(requestBody(state))); // asking again means asking again
    navigate(url, false, null);
    if (window.matchMedia("(max-width: 30rem)").matches) input.blur(); // let a phone show the answer, not the keyboard
  });

  document.addEventListener("click", (event) => {
    const link = event.target instanceof Element ? event.target.closest("a[data-nav]") : null;
    if (!link || event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    const url = link.getAttribute("href");
    if (link.dataset.nav === "back" && history.state && history.state.from === "answers") {
      history.back(); // the answers page we came from, where it was
      return;
    }
    navigate(url, false, link.dataset.nav === "article" ? { from: "answers" } : null);
    if (link.dataset.nav === "back") input.focus();
  });

  window.addEventListener("popstate", route);

  loadDocuments();
  route();
  document.documentElement.dataset.ready = "true";
})();
