// The agent desk: queue, conversations and the chat pane, kept live over /console/stream.
// Events carry ids only; on each one the desk re-reads state through the JSON API (the reads
// of a conversation are audited server-side). Everything the shopper wrote is inserted as text,
// never as HTML; bot and agent messages are read as the same small Markdown subset the widget
// shows them in (see md() below), built as DOM nodes, never innerHTML.
(function () {
  "use strict";
  var desk = document.getElementById("desk");
  if (!desk) return;
  var tenant = desk.dataset.tenant, csrf = desk.dataset.csrf, me = desk.dataset.me, shop = desk.dataset.shop;
  var api = "/console/api";
  var openId = null, state = null, detail = null, socket = null, lastQueue = null;
  var typingSent = 0, typingTimer = null, shopperTypingTimer = null, refreshTimer = null;
  var OUTCOMES = [["resolved", "Resolved"], ["unresolved", "Not resolved"], ["follow_up", "Needs follow-up"], ["spam", "Spam"]];
  var OUTCOME_LABEL = {}; OUTCOMES.forEach(function (o) { OUTCOME_LABEL[o[0]] = o[1]; });
  var cannedCache = {}, previewOn = false, composerNode = null, composerFor = null, pick = 0; // pick: the chosen line of the canned-reply menu

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") node.textContent = attrs[k];
      else if (k === "onclick" || k === "onchange" || k === "onkeydown" || k === "oninput") node[k] = attrs[k];
      else node.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) { if (c) node.appendChild(c); });
    return node;
  }
  function call(method, path, body) {
    var url = api + path + (path.indexOf("?") < 0 ? "?" : "&") + "tenant=" + encodeURIComponent(tenant);
    var init = { method: method, headers: { "X-CSRF-Token": csrf }, credentials: "same-origin" };
    if (body !== undefined) { init.headers["Content-Type"] = "application/json"; init.body = JSON.stringify(body); }
    return fetch(url, init).then(function (r) {
      return r.text().then(function (t) {
        var data = t ? JSON.parse(t) : {};
        if (!r.ok) throw new Error((data.error && data.error.message) || ("HTTP " + r.status));
        return data;
      });
    });
  }
  function flash(message) {
    var bar = document.getElementById("connection");
    bar.textContent = message; bar.className = "small error";
    setTimeout(function () { bar.className = "small muted"; bar.textContent = ""; }, 6000);
  }
  function ago(iso) {
    if (!iso) return "";
    var s = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
    return s < 60 ? s + " s" : s < 3600 ? Math.round(s / 60) + " min" : Math.round(s / 3600) + " h";
  }
  function short(id) { return id.slice(0, 8); }

  // --- the Markdown subset of bot and agent text: **bold**, *italic*, [links](…), "- " lists ---
  // The widget's reading of it (widget.js markdown()), so the desk shows what the shopper sees;
  // the server's (botdesk/rich_text.py) reads the same subset for transcript pages and mail.
  // Links: http(s) and mailto only; a shop-relative "/returns" leads to the shop when its origin
  // is known, else it is shown as text (on the console's host it would lead nowhere).
  function linkTarget(u) {
    if (/[\s\\<>"']/.test(u)) return null;
    if (/^\/(?!\/)/.test(u)) return shop ? shop.replace(/\/$/, "") + u : null;
    return /^https?:\/\/[^/]/i.test(u) || /^mailto:[^/]/i.test(u) ? u : null;
  }
  function inline(s, into) {
    var rx = /\\([\\`*_\[\]()<>#!|~])|\[((?:\\.|[^\]\n\\])+)\]\(([^)\s]+)\)|\*\*([^*\n]+)\*\*|\*([^*\n]+)\*/g;
    var last = 0, m;
    while ((m = rx.exec(s))) {
      into.append(s.slice(last, m.index));
      last = rx.lastIndex;
      if (m[1] != null) { into.append(m[1]); continue; }
      var part;
      if (m[2] != null) {
        var href = linkTarget(m[3]);
        // As the server reads it: a script-ish address stays literal text, another refused
        // one (relative with no shop origin, ftp:, …) shows its label only.
        if (!href && /^\s*(javascript|vbscript|file|data):/i.test(m[3])) { into.append(m[0]); continue; }
        if (!href) { inline(m[2], into); continue; }
        part = el("a", { href: href, target: "_blank", rel: "noopener noreferrer nofollow" });
        inline(m[2], part);
      } else {
        part = el(m[4] != null ? "strong" : "em");
        inline(m[4] != null ? m[4] : m[5], part);
      }
      into.append(part);
    }
    into.append(s.slice(last));
  }
  function md(text) {
    var box = el("div", { class: "md" }), para = null, list = null;
    String(text).split(/\r?\n/).forEach(function (line) {
      var item = /^\s*(?:-|\d+\.) +(.*)$/.exec(line);
      if (item) {
        if (!list) box.append((list = el(/^\s*-/.test(line) ? "ul" : "ol")));
        var li = el("li"); inline(item[1], li); list.append(li); para = null;
        return;
      }
      list = null;
      if (!line.trim()) { para = null; return; }
      if (para) para.append(el("br")); else box.append((para = el("p")));
      inline(line, para);
    });
    return box;
  }

  // --- alerts: a bell and a flashing title when someone new joins the queue ---
  var baseTitle = document.title, audio = null;
  function bell() {
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      var o = audio.createOscillator(), g = audio.createGain();
      o.frequency.value = 880; g.gain.value = 0.08; o.connect(g); g.connect(audio.destination);
      o.start(); o.stop(audio.currentTime + 0.18);
    } catch (e) { /* no sound available; the visual alert still shows */ }
  }
  function alertQueue(count) {
    document.title = count ? "(" + count + ") " + baseTitle : baseTitle;
    if (lastQueue !== null && count > lastQueue) {
      bell();
      var h = document.getElementById("queue").parentNode;
      h.classList.remove("ring"); void h.offsetWidth; h.classList.add("ring");
    }
    lastQueue = count;
  }

  // --- the live figures: the counters above the desk and the statuses below it ---
  function renderCounters() {
    var online = state.agents.filter(function (a) { return a.presence === "online"; }).length;
    [["count-queue", state.queue.length], ["count-mine", state.mine.length],
     ["count-offline", state.offline.length], ["count-online", online]].forEach(function (pair) {
      var node = document.getElementById(pair[0]);
      if (node && node.textContent !== String(pair[1])) node.textContent = pair[1];
    });
  }
  function refreshCounts() {
    return call("GET", "/counts").then(function (counts) {
      Object.keys(counts).forEach(function (status) {
        var node = document.getElementById("stat-" + status);
        if (node) node.textContent = counts[status];
      });
    }).catch(function () { /* the figures catch up on the next event */ });
  }

  // --- the side panel ---
  function item(c, label, action) {
    var li = el("li", { class: "item" + (c.id === openId ? " current" : ""), "data-id": c.id }, [
      el("button", { class: "open", type: "button", onclick: function () { open(c.id); } }, [
        el("strong", { text: label }),
        el("span", { class: "small muted", text: " · " + c.language + (c.topic ? " · " + c.topic : "") })
      ]),
      action || null
    ]);
    return li;
  }
  function renderState() {
    var q = document.getElementById("queue"); q.textContent = "";
    state.queue.forEach(function (c) {
      q.appendChild(item(c, "#" + c.position + " waiting " + ago(c.queued_at),
        el("button", { class: "accept", type: "button", text: "Accept", onclick: function () { accept(c.id); } })));
    });
    if (!state.queue.length) q.appendChild(el("li", { class: "muted small", text: "Nobody is waiting." }));
    document.getElementById("queue-count").textContent = state.queue.length;
    alertQueue(state.queue.length);
    [["mine", "You"], ["others", null], ["offline", null]].forEach(function (pair) {
      var list = document.getElementById(pair[0]); list.textContent = "";
      state[pair[0]].forEach(function (c) {
        var who = pair[0] === "others" ? (nameOf(c.assigned_agent_id) || "agent") : short(c.id);
        var offline = pair[0] === "offline";
        list.appendChild(item(c, offline ? "Message " + short(c.id) : who + " · " + ago(c.last_activity_at) + " ago",
          offline ? answerInChat(c) : null));
      });
      if (!state[pair[0]].length) list.appendChild(el("li", { class: "muted small", text: "None." }));
    });
    document.getElementById("offline-count").textContent = state.offline.length;
    renderCounters();
    var team = document.getElementById("agents"); team.textContent = "";
    state.agents.forEach(function (a) {
      team.appendChild(el("li", { class: "agent " + a.presence }, [
        el("span", { class: "dot", "aria-hidden": "true" }),
        el("span", { text: a.name + (a.id === me ? " (you)" : "") + " · " + a.presence + (a.chats ? " · " + a.chats + " chat" + (a.chats > 1 ? "s" : "") : "") })
      ]));
    });
    document.getElementById("presence").value = state.me.presence;
    document.getElementById("availability").textContent = state.available
      ? "Shoppers can reach a person now." : "Shoppers are offered an offline message (nobody online or outside opening hours).";
  }
  function answerInChat(c) {
    // Taking an offline message into a live chat: the shopper may still be on the page.
    return el("button", { type: "button", class: "accept", text: "Answer in chat", title: "Take it into a live chat with the shopper", onclick: function () { accept(c.id); } });
  }
  function nameOf(id) {
    var a = state && state.agents.filter(function (x) { return x.id === id; })[0];
    return a ? a.name : null;
  }
  function refresh() {
    return call("GET", "/state").then(function (s) { state = s; renderState(); })
      .catch(function (e) { flash(e.message); });
  }
  function refreshSoon(conversationId) {
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(function () {
      refresh(); refreshCounts(); recentSoon();
      if (openId && (!conversationId || conversationId === openId)) load(openId);
    }, 150);
  }

  // --- the conversation pane ---
  function open(id) { if (id !== openId) shopperIsTyping = false; openId = id; load(id); if (state) renderState(); }
  function load(id) {
    return call("GET", "/conversations/" + id).then(function (d) {
      if (id !== openId) return;
      detail = d; renderPane();
    }).catch(function (e) { flash(e.message); });
  }
  function accept(id) {
    call("POST", "/conversations/" + id + "/accept").then(function () { open(id); refresh(); })
      .catch(function (e) { flash(e.message); refresh(); });
  }
  function renderPane() {
    var c = detail.conversation, pane = document.getElementById("pane");
    var keepDraft = document.getElementById("reply"), draft = keepDraft ? keepDraft.value : "";
    var focused = document.activeElement && document.activeElement.id;
    pane.textContent = "";
    var mineLive = c.status === "with_agent" && c.assigned_agent_id === me;
    pane.appendChild(el("header", { class: "pane-head" }, [
      el("h2", { text: "Conversation " + short(c.id) }),
      el("span", { class: "badge badge-" + c.status, text: c.status.replace(/_/g, " ") }),
      el("span", { class: "small muted", text: " " + c.language + (c.assigned_agent ? " · with " + c.assigned_agent : "") }),
      c.outcome ? el("span", { class: "verdict-chip", id: "pane-outcome", text: "Outcome: " + (OUTCOME_LABEL[c.outcome] || c.outcome) }) : null,
      c.csat ? el("span", { class: "verdict-chip", id: "pane-rating", "aria-label": "Rated " + c.csat + " of 5", text: "★★★★★".slice(0, c.csat) + "☆☆☆☆☆".slice(c.csat) + " " + c.csat + "/5" }) : null,
      el("a", { class: "small", href: "/console/conversations/" + c.id + "?tenant=" + encodeURIComponent(tenant), text: "Transcript page" })
    ]));
    var form = detail.form, rows = [];
    [["email", "Email"], ["order_number", "Order number"], ["topic", "Topic"], ["message", "Message"]].forEach(function (f) {
      if (form[f[0]]) rows.push(el("div", {}, [el("dt", { text: f[1] }), el("dd", { text: form[f[0]] })]));
    });
    if (rows.length) pane.appendChild(el("dl", { class: "formdata", "aria-label": "Pre-chat form" }, rows));
    var log = el("ol", { class: "transcript", id: "log" });
    detail.messages.forEach(function (m) {
      var who = m.sender === "agent" ? (m.author || "agent") : m.sender === "visitor" ? "shopper" : m.sender;
      var chips = (m.buttons || []).map(function (b) { return el("span", { class: "chip", text: b.label }); });
      log.appendChild(el("li", { class: "msg msg-" + m.sender }, [
        el("span", { class: "meta", text: who + " · " + new Date(m.created_at).toLocaleString([], { dateStyle: "medium", timeStyle: "short" }) }),
        // The shopper's words are text, always; what the bot or an agent wrote is Markdown.
        m.sender === "visitor" ? el("p", { text: m.text }) : md(m.text),
        chips.length ? el("p", { class: "buttons" }, chips) : null
      ]));
    });
    pane.appendChild(log);
    pane.appendChild(el("p", { id: "shopper-typing", class: "small muted typing", text: "" }));
    if (detail.notes.length) {
      pane.appendChild(el("h3", { text: "Internal notes (never shown to the shopper)" }));
      pane.appendChild(el("ul", { class: "notes" }, detail.notes.map(function (n) {
        return el("li", { class: "note" }, [el("span", { class: "meta small", text: (n.author || "") + " · " + new Date(n.created_at).toLocaleString() }), el("p", { text: n.text })]);
      })));
    }
    if (c.status === "queued") {
      pane.appendChild(el("button", { type: "button", class: "accept", text: "Accept this conversation", onclick: function () { accept(c.id); } }));
    }
    // The same composer node across re-renders of one conversation: a message arriving must not
    // reset what the agent is doing in it (the "/" menu, the preview, undo history).
    if (mineLive) {
      if (!composerNode || composerFor !== c.id) { composerNode = composer(c, draft); composerFor = c.id; }
      pane.appendChild(composerNode);
    } else { composerNode = null; composerFor = null; }
    // An offline message waits for an answer whatever the bot did since (it is back with the bot).
    var pending = c.offline_pending_since || c.status === "offline_message";
    if (pending) pane.appendChild(emailReply(c));
    if (pending) pane.appendChild(el("button", { type: "button", class: "accept", id: "answer-in-chat", text: "Answer in chat instead", onclick: function () { accept(c.id); } }));
    if (c.status !== "bot") pane.appendChild(noteBox(c));
    if (mineLive || (c.status === "with_agent" && state && state.me.role === "admin")) pane.appendChild(controls(c));
    log.scrollTop = log.scrollHeight;
    shopperTyping(shopperIsTyping);
    // A re-render (new message, transfer) must not steal the agent's cursor mid-sentence.
    var again = focused && document.getElementById(focused);
    if (again) {
      again.focus();
      // The kept composer keeps its caret; rebuilt inputs get theirs at the end of the text.
      if (again.value !== undefined && again !== (composerNode && composerNode.querySelector("#reply"))) again.selectionStart = again.selectionEnd = again.value.length;
    }
  }
  function cannedFor(language) {
    if (!cannedCache[language]) {
      cannedCache[language] = call("GET", "/canned?language=" + encodeURIComponent(language))
        .catch(function () { delete cannedCache[language]; return []; }); // a convenience only
    }
    return cannedCache[language];
  }
  function composer(c, draft) {
    var box = el("textarea", { id: "reply", rows: "3", "aria-label": "Reply to the shopper", placeholder: "Write to the shopper… (/ for canned replies, Enter sends, Shift+Enter for a new line)",
      role: "combobox", "aria-autocomplete": "list", "aria-expanded": "false", "aria-controls": "canned-menu" });
    box.value = draft;
    var canned = el("select", { id: "canned", "aria-label": "Insert a canned reply" }, [el("option", { value: "", text: "Canned replies…" })]);
    var replies = [];
    cannedFor(c.language).then(function (list) {
      replies = list;
      list.forEach(function (r) { canned.appendChild(el("option", { value: r.text, text: "/" + r.shortcut + " — " + r.text.slice(0, 50) })); });
      // A re-render (a new message) rebuilt the composer mid-search: the menu stays open.
      if (document.activeElement === box) showMenu();
    });
    canned.onchange = function () { if (canned.value) { box.value = (box.value ? box.value + " " : "") + canned.value; canned.value = ""; box.focus(); updatePreview(); } };

    // "/" at the start of the box opens the canned replies, filtered by what follows it.
    var menu = el("ul", { id: "canned-menu", class: "canned-menu", role: "listbox", "aria-label": "Canned replies", hidden: "" });
    var matches = [];
    function slashQuery() {
      var m = /^\/(\S*)$/.exec(box.value.slice(0, box.selectionEnd));
      return m && box.selectionEnd === box.value.length ? m[1].toLowerCase() : null;
    }
    function closeMenu() { menu.hidden = true; box.setAttribute("aria-expanded", "false"); box.removeAttribute("aria-activedescendant"); }
    function showMenu() {
      var q = slashQuery();
      if (q === null) { closeMenu(); return; }
      matches = replies.filter(function (r) {
        return r.shortcut.toLowerCase().indexOf(q) === 0 || r.text.toLowerCase().indexOf(q) >= 0;
      });
      pick = Math.min(pick, Math.max(matches.length - 1, 0));
      menu.textContent = "";
      matches.forEach(function (r, i) {
        var option = el("li", { id: "canned-" + i, role: "option", "aria-selected": String(i === pick), class: i === pick ? "pick" : "" }, [
          el("strong", { text: "/" + r.shortcut }), el("span", { class: "small muted", text: " " + r.text.slice(0, 90) })
        ]);
        option.onmousedown = function (e) { e.preventDefault(); pick = i; choose(); };
        menu.appendChild(option);
      });
      if (!matches.length) menu.appendChild(el("li", { class: "muted small", text: replies.length ? "No canned reply matches." : "No canned replies in this language yet." }));
      menu.hidden = false; box.setAttribute("aria-expanded", "true");
      if (matches.length) box.setAttribute("aria-activedescendant", "canned-" + pick); else box.removeAttribute("aria-activedescendant");
    }
    function choose() {
      var r = matches[pick]; if (!r) return;
      box.value = r.text; closeMenu(); box.focus();
      box.selectionStart = box.selectionEnd = box.value.length; updatePreview();
    }

    // The preview shows the reply as the widget will: the same Markdown subset (md()).
    var preview = el("div", { id: "reply-preview", class: "preview msg msg-agent", "aria-live": "polite" });
    preview.hidden = !previewOn;
    var toggle = el("button", { type: "button", class: "link", id: "preview-toggle", "aria-pressed": String(previewOn), "aria-controls": "reply-preview", text: "Preview", onclick: function () {
      previewOn = preview.hidden; preview.hidden = !previewOn; toggle.setAttribute("aria-pressed", String(previewOn)); updatePreview();
    } });
    function updatePreview() {
      if (preview.hidden) return;
      preview.textContent = "";
      preview.appendChild(el("span", { class: "meta", text: "The shopper will see" }));
      preview.appendChild(box.value.trim() ? md(box.value) : el("p", { class: "muted", text: "Nothing written yet." }));
    }
    function send() {
      var text = box.value.trim(); if (!text) return;
      var id = "c-" + Date.now() + "-" + Math.random().toString(36).slice(2, 8);
      box.value = ""; typing(false); updatePreview();
      call("POST", "/conversations/" + c.id + "/messages", { text: text, client_message_id: id })
        .then(function () { load(c.id); }).catch(function (e) { box.value = text; flash(e.message); });
    }
    box.onkeydown = function (e) {
      if (!menu.hidden) {
        if (e.key === "ArrowDown" || e.key === "ArrowUp") {
          e.preventDefault();
          if (matches.length) pick = (pick + (e.key === "ArrowDown" ? 1 : matches.length - 1)) % matches.length;
          showMenu(); return;
        }
        if (e.key === "Enter" || e.key === "Tab") { if (matches.length) { e.preventDefault(); choose(); return; } }
        if (e.key === "Escape") { e.preventDefault(); closeMenu(); return; }
      }
      if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); send(); }
    };
    box.oninput = function () { typing(true); pick = 0; showMenu(); updatePreview(); };
    // Later, not at once: a re-render detaches the box (a blur) and focuses it again at once.
    box.onblur = function () { setTimeout(function () { if (document.activeElement !== box) closeMenu(); }, 0); };
    updatePreview();
    return el("div", { class: "composer" }, [
      el("div", { class: "combo" }, [box, menu]),
      el("div", { class: "row" }, [canned, toggle, el("button", { type: "button", id: "send", text: "Send", onclick: send })]),
      preview
    ]);
  }
  function noteBox(c) {
    var input = el("input", { id: "note", type: "text", "aria-label": "Internal note", placeholder: "Internal note for colleagues…" });
    function add() {
      var text = input.value.trim(); if (!text) return;
      call("POST", "/conversations/" + c.id + "/notes", { text: text }).then(function () { input.value = ""; load(c.id); }).catch(function (e) { flash(e.message); });
    }
    input.onkeydown = function (e) { if (e.key === "Enter") { e.preventDefault(); add(); } };
    return el("div", { class: "row notebox" }, [input, el("button", { type: "button", class: "secondary", text: "Add note", onclick: add })]);
  }
  function emailReply(c) {
    var box = el("textarea", { id: "email-reply", rows: "4", "aria-label": "Email reply", placeholder: "Your answer, sent to the shopper's email…" });
    return el("div", { class: "composer" }, [box, el("button", { type: "button", text: "Send email reply", onclick: function () {
      var text = box.value.trim(); if (!text) return;
      call("POST", "/conversations/" + c.id + "/email-reply", { text: text }).then(function () { refresh(); load(c.id); }).catch(function (e) { flash(e.message); });
    } })]);
  }
  function controls(c) {
    var who = el("select", { id: "transfer-to", "aria-label": "Transfer to" });
    (state ? state.agents : []).forEach(function (a) {
      if (a.id !== c.assigned_agent_id) who.appendChild(el("option", { value: a.id, text: a.name + " (" + a.presence + ")" }));
    });
    var outcome = el("select", { id: "outcome", "aria-label": "Outcome" }, OUTCOMES.map(function (o) { return el("option", { value: o[0], text: o[1] }); }));
    return el("div", { class: "controls" }, [
      el("div", { class: "row" }, [who, el("button", { type: "button", class: "secondary", id: "transfer", text: "Transfer", onclick: function () {
        if (!who.value) return;
        call("POST", "/conversations/" + c.id + "/transfer", { agent_id: who.value }).then(function () { refresh(); load(c.id); }).catch(function (e) { flash(e.message); });
      } })]),
      el("div", { class: "row" }, [outcome, el("button", { type: "button", class: "danger", id: "close", text: "Close conversation", onclick: function () {
        call("POST", "/conversations/" + c.id + "/close", { outcome: outcome.value }).then(function () { refresh(); load(c.id); }).catch(function (e) { flash(e.message); });
      } })])
    ]);
  }


  // --- Recent: the tenant's conversations after they leave the live lists, searchable ---
  var recentCursor = null, recentPaged = false, recentTimer = null;
  function recentQuery() {
    var q = document.getElementById("recent-q").value.trim();
    var show = document.getElementById("recent-show").value, outcome = document.getElementById("recent-outcome").value;
    return (q ? "&q=" + encodeURIComponent(q) : "") + (show ? "&show=" + show : "") + (outcome ? "&outcome=" + outcome : "");
  }
  function loadRecent(more) {
    var path = "/recent?limit=20" + recentQuery() + (more && recentCursor ? "&before=" + encodeURIComponent(recentCursor.before) + "&before_id=" + recentCursor.before_id : "");
    return call("GET", path).then(function (page) {
      var list = document.getElementById("recent");
      if (!more) list.textContent = "";
      recentPaged = !!more;
      page.items.forEach(function (c) { list.appendChild(recentItem(c)); });
      if (!more && !page.items.length) list.appendChild(el("li", { class: "muted small", text: document.getElementById("recent-q").value.trim() ? "Nothing found in the last 30 days." : "No conversations here in the last 30 days." }));
      recentCursor = page.next;
      document.getElementById("recent-more").hidden = !page.next;
    }).catch(function (e) { flash(e.message); });
  }
  function recentItem(c) {
    var facts = [c.language, c.assigned_agent ? "with " + c.assigned_agent : null,
      c.outcome ? (OUTCOME_LABEL[c.outcome] || c.outcome) : null,
      c.csat ? "★ " + c.csat + "/5" : null].filter(Boolean).join(" · ");
    return el("li", { class: "item" + (c.id === openId ? " current" : ""), "data-id": c.id }, [
      el("button", { class: "open", type: "button", onclick: function () { open(c.id); window.scrollTo(0, 0); } }, [
        el("strong", { text: short(c.id) }),
        el("span", { class: "badge badge-" + c.status, text: c.status.replace(/_/g, " ") }),
        el("span", { class: "small muted", text: " " + facts })
      ]),
      el("time", { class: "small muted", datetime: c.last_activity_at, text: new Date(c.last_activity_at).toLocaleString([], { dateStyle: "medium", timeStyle: "short" }) }),
      el("a", { class: "small", href: "/console/conversations/" + c.id + "?tenant=" + encodeURIComponent(tenant), text: "Transcript", "aria-label": "Transcript of " + short(c.id) })
    ]);
  }
  function recentSoon() {
    if (recentPaged) return; // the agent is reading older pages: do not pull the list away
    clearTimeout(recentTimer);
    recentTimer = setTimeout(function () { loadRecent(false); }, 400);
  }
  document.getElementById("recent-search").onsubmit = function (e) { e.preventDefault(); loadRecent(false); };
  document.getElementById("recent-show").onchange = function () { loadRecent(false); };
  document.getElementById("recent-outcome").onchange = function () { loadRecent(false); };
  document.getElementById("recent-more").onclick = function () { loadRecent(true); };

  // --- typing, both ways ---
  function typing(active) {
    if (!socket || socket.readyState !== 1 || !openId) return;
    var now = Date.now();
    clearTimeout(typingTimer);
    if (active) {
      typingTimer = setTimeout(function () { typing(false); }, 3000);
      if (now - typingSent < 2000) return;
      typingSent = now;
    } else { typingSent = 0; }
    socket.send(JSON.stringify({ type: "typing", conversation_id: openId, typing: active }));
  }
  var shopperIsTyping = false;
  function shopperTyping(active) {
    var changed = active !== shopperIsTyping;
    shopperIsTyping = active;
    var line = document.getElementById("shopper-typing"); if (!line) return;
    line.textContent = active ? "The shopper is typing…" : "";
    if (changed || !active) clearTimeout(shopperTypingTimer);
    if (active && changed) shopperTypingTimer = setTimeout(function () { shopperTyping(false); }, 6000);
  }

  // --- the live stream, reconnecting with backoff ---
  var backoff = 1000, pinger = null;
  function connect() {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + location.host + "/console/stream?tenant=" + encodeURIComponent(tenant));
    socket.onopen = function () { backoff = 1000; document.getElementById("connection").textContent = "";
      // (Re)connected: catch up on whatever happened while no events could arrive.
      refresh(); refreshCounts(); recentSoon(); if (openId) load(openId); };
    socket.onmessage = function (m) {
      var frame = JSON.parse(m.data);
      if (frame.type !== "event") return;
      var e = frame.event;
      if (e.type === "typing") { if (e.conversation_id === openId && e.payload.who === "visitor") shopperTyping(e.payload.typing); return; }
      if (e.type === "message.created" && e.conversation_id === openId) shopperTyping(false);
      refreshSoon(e.conversation_id);
    };
    socket.onclose = function (e) {
      if (e.code === 4401) { location.href = "/console/login"; return; }
      document.getElementById("connection").textContent = "Reconnecting…";
      setTimeout(connect, backoff); backoff = Math.min(backoff * 2, 15000);
    };
  }
  pinger = setInterval(function () { if (socket && socket.readyState === 1) socket.send('{"type":"ping"}'); }, 25000);
  document.getElementById("presence").onchange = function (e) {
    call("POST", "/presence", { status: e.target.value }).then(refresh).catch(function (err) { flash(err.message); });
  };
  setInterval(function () { if (state) renderState(); }, 30000); // keep "waiting N min" honest
  refresh();
  refreshCounts();
  loadRecent(false);
  connect();
})();
