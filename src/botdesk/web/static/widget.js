/*! botdesk chat widget. Embed: <script src="https://HOST/widget.js" data-tenant="SLUG" defer></script>
 * One global (window.Botdesk); everything else lives in this closure and in one shadow root.
 * Stored: only {id, token, seq} of the open conversation, in sessionStorage (no cookies). */
(function () {
  "use strict";
  if (window.Botdesk) return; // loaded twice: the first copy wins

  var VERSION = "1.0.0";
  var script =
    document.currentScript || document.querySelector('script[data-tenant][src$="widget.js"]');
  var slug = script && script.getAttribute("data-tenant");
  if (!slug) return;
  var BASE = new URL(script.src, location.href).origin;
  var API = BASE + "/api/v1";
  var KEY = "botdesk:" + slug;
  var MAX = 4000;

  var TEXTS = {
    en: {
      open: "Open chat", close: "Close chat", title: "Chat", menu: "Chat options",
      placeholder: "Write a message…", send: "Send", typing: "Typing", messages: "Messages",
      mail: "Email the conversation", mailLabel: "Your email address", mailSend: "Send",
      mailSent: "The conversation was sent to your email.", mailBad: "Check the email address.",
      mailLimit: "It can't be emailed again right now. Try again later, or download the chat instead.",
      mailOff: "Email isn't available right now. You can download the chat instead.",
      nothing: "There is nothing to send yet.",
      dlText: "Download as text", dlJson: "Download as JSON", del: "Delete conversation",
      ask: "Delete this conversation for good? This cannot be undone.", yes: "Delete",
      no: "Cancel", deleted: "Your conversation was deleted.",
      privacy: "This chat is kept for {n} days.", policy: "Privacy policy",
      visitor: "You", bot: "Bot", agent: "Agent", system: "Info",
      offline: "Could not reach the chat. Check your connection and try again.",
      tooLong: "A message can have at most 4000 characters.",
      error: "Something went wrong. Please try again.",
      person: "Talk to a person", formTitle: "Before we connect you, please tell us:",
      offTitle: "Nobody is available right now. Leave a message and we'll answer by email.",
      email: "Email", order_number: "Order number", topic: "Topic", message: "Message",
      optional: "(optional)", pick: "Choose…", consent: "Your details are used only to answer you.",
      go: "Join the queue", leaveMsg: "Send message", pos: "You are number {n} in the queue.",
      wait: "Estimated wait: about {m} min.", soon: "An agent will be with you shortly.",
      noWait: "We can't estimate the wait yet.", leave: "Leave the queue",
      rate: "How did we do?", star: "{n} of 5", thanks: "Thanks for your feedback!",
      busy: "You are sending a lot very quickly. Please wait a moment and try again.",
      writing: "{name} is typing…"
    },
    fi: {
      open: "Avaa chat", close: "Sulje chat", title: "Chat", menu: "Chatin asetukset",
      placeholder: "Kirjoita viesti…", send: "Lähetä", typing: "Kirjoittaa", messages: "Viestit",
      mail: "Lähetä keskustelu sähköpostiin", mailLabel: "Sähköpostiosoitteesi", mailSend: "Lähetä",
      mailSent: "Keskustelu lähetettiin sähköpostiisi.", mailBad: "Tarkista sähköpostiosoite.",
      mailLimit: "Keskustelua ei voi nyt lähettää uudelleen. Yritä myöhemmin tai lataa keskustelu.",
      mailOff: "Sähköposti ei ole nyt käytettävissä. Voit ladata keskustelun.",
      nothing: "Lähetettävää ei vielä ole.",
      dlText: "Lataa tekstinä", dlJson: "Lataa JSON-muodossa", del: "Poista keskustelu",
      ask: "Poistetaanko keskustelu pysyvästi? Tätä ei voi perua.", yes: "Poista",
      no: "Peruuta", deleted: "Keskustelusi on poistettu.",
      privacy: "Tämä keskustelu säilytetään {n} päivää.", policy: "Tietosuojaseloste",
      visitor: "Sinä", bot: "Botti", agent: "Asiakaspalvelija", system: "Tiedote",
      offline: "Chattiin ei saatu yhteyttä. Tarkista verkkoyhteys ja yritä uudelleen.",
      tooLong: "Viestissä voi olla enintään 4000 merkkiä.",
      error: "Jokin meni vikaan. Yritä uudelleen.",
      person: "Keskustele asiakaspalvelijan kanssa", formTitle: "Ennen kuin yhdistämme, kerro meille:",
      offTitle: "Kukaan ei ole juuri nyt paikalla. Jätä viesti, niin vastaamme sähköpostitse.",
      email: "Sähköposti", order_number: "Tilausnumero", topic: "Aihe", message: "Viesti",
      optional: "(vapaaehtoinen)", pick: "Valitse…", consent: "Tietojasi käytetään vain sinulle vastaamiseen.",
      go: "Siirry jonoon", leaveMsg: "Lähetä viesti", pos: "Olet jonossa {n}.",
      wait: "Arvioitu odotusaika noin {m} min.", soon: "Asiakaspalvelija on pian kanssasi.",
      noWait: "Odotusaikaa ei voi vielä arvioida.", leave: "Poistu jonosta",
      rate: "Miten onnistuimme?", star: "{n}/5", thanks: "Kiitos palautteestasi!",
      busy: "Lähetät paljon viestejä nopeasti. Odota hetki ja yritä uudelleen.",
      writing: "{name} kirjoittaa…"
    },
    sv: {
      open: "Öppna chatten", close: "Stäng chatten", title: "Chatt", menu: "Chattalternativ",
      placeholder: "Skriv ett meddelande…", send: "Skicka", typing: "Skriver",
      mail: "Mejla konversationen", mailLabel: "Din e-postadress", mailSend: "Skicka",
      mailSent: "Konversationen skickades till din e-post.", mailBad: "Kontrollera e-postadressen.",
      mailLimit: "Den kan inte mejlas igen just nu. Försök senare eller ladda ner chatten i stället.",
      mailOff: "E-post är inte tillgängligt just nu. Du kan ladda ner chatten i stället.",
      nothing: "Det finns inget att skicka än.",
      messages: "Meddelanden", dlText: "Ladda ner som text", dlJson: "Ladda ner som JSON",
      del: "Radera konversationen", ask: "Radera konversationen för gott? Det går inte att ångra.",
      yes: "Radera", no: "Avbryt", deleted: "Din konversation har raderats.",
      privacy: "Den här chatten sparas i {n} dagar.", policy: "Integritetspolicy",
      visitor: "Du", bot: "Bot", agent: "Kundtjänst", system: "Info",
      offline: "Chatten gick inte att nå. Kontrollera anslutningen och försök igen.",
      tooLong: "Ett meddelande får ha högst 4000 tecken.",
      error: "Något gick fel. Försök igen.",
      person: "Prata med en person", formTitle: "Innan vi kopplar dig vidare, berätta:",
      offTitle: "Ingen är tillgänglig just nu. Lämna ett meddelande så svarar vi via e-post.",
      email: "E-post", order_number: "Ordernummer", topic: "Ämne", message: "Meddelande",
      optional: "(valfritt)", pick: "Välj…", consent: "Dina uppgifter används bara för att svara dig.",
      go: "Ställ dig i kö", leaveMsg: "Skicka meddelande", pos: "Du är nummer {n} i kön.",
      wait: "Beräknad väntetid: cirka {m} min.", soon: "En medarbetare är snart med dig.",
      noWait: "Vi kan inte uppskatta väntetiden än.", leave: "Lämna kön",
      rate: "Hur gick det?", star: "{n} av 5", thanks: "Tack för ditt omdöme!",
      busy: "Du skickar mycket på kort tid. Vänta en stund och försök igen.",
      writing: "{name} skriver…"
    },
    nb: {
      open: "Åpne chat", close: "Lukk chat", title: "Chat", menu: "Chatvalg",
      placeholder: "Skriv en melding…", send: "Send", typing: "Skriver", messages: "Meldinger",
      mail: "Send samtalen på e-post", mailLabel: "E-postadressen din", mailSend: "Send",
      mailSent: "Samtalen ble sendt til e-posten din.", mailBad: "Sjekk e-postadressen.",
      mailLimit: "Den kan ikke sendes på e-post igjen akkurat nå. Prøv senere, eller last ned chatten i stedet.",
      mailOff: "E-post er ikke tilgjengelig nå. Du kan laste ned chatten i stedet.",
      nothing: "Det er ingenting å sende ennå.",
      dlText: "Last ned som tekst", dlJson: "Last ned som JSON", del: "Slett samtalen",
      ask: "Slette samtalen for godt? Dette kan ikke angres.", yes: "Slett", no: "Avbryt",
      deleted: "Samtalen din er slettet.", privacy: "Denne chatten lagres i {n} dager.",
      policy: "Personvernerklæring", visitor: "Du", bot: "Bot", agent: "Kundeservice",
      system: "Info",
      offline: "Fikk ikke kontakt med chatten. Sjekk tilkoblingen og prøv igjen.",
      tooLong: "En melding kan ha høyst 4000 tegn.",
      error: "Noe gikk galt. Prøv igjen.",
      person: "Snakk med en person", formTitle: "Før vi setter deg over, fortell oss:",
      offTitle: "Ingen er tilgjengelig akkurat nå. Legg igjen en melding, så svarer vi på e-post.",
      email: "E-post", order_number: "Ordrenummer", topic: "Emne", message: "Melding",
      optional: "(valgfritt)", pick: "Velg…", consent: "Opplysningene dine brukes bare til å svare deg.",
      go: "Still deg i kø", leaveMsg: "Send melding", pos: "Du er nummer {n} i køen.",
      wait: "Beregnet ventetid: omtrent {m} min.", soon: "En kundebehandler er snart hos deg.",
      noWait: "Vi kan ikke anslå ventetiden ennå.", leave: "Forlat køen",
      rate: "Hvordan gikk det?", star: "{n} av 5", thanks: "Takk for tilbakemeldingen!",
      busy: "Du sender mye på kort tid. Vent litt og prøv igjen.",
      writing: "{name} skriver…"
    }
  };

  var ICONS = {
    chat: "M6 3h12a3 3 0 0 1 3 3v9a3 3 0 0 1-3 3h-7.5L5 22v-4.1A3 3 0 0 1 3 15V6a3 3 0 0 1 3-3z",
    close: "M6.4 5 12 10.6 17.6 5 19 6.4 13.4 12l5.6 5.6-1.4 1.4-5.6-5.6L6.4 19 5 17.6 10.6 12 5 6.4z",
    gear: "M19.14 12.94c.04-.3.06-.61.06-.94 0-.32-.02-.64-.07-.94l2.03-1.58a.49.49 0 0 0 .12-.61" +
      "l-1.92-3.32a.49.49 0 0 0-.59-.22l-2.39.96c-.5-.38-1.03-.7-1.62-.94l-.36-2.54a.48.48 0 0 0" +
      "-.48-.41h-3.84c-.24 0-.43.17-.47.41l-.36 2.54c-.59.24-1.13.57-1.62.94l-2.39-.96a.49.49 0 0 0" +
      "-.59.22L2.74 8.87c-.12.21-.08.47.12.61l2.03 1.58c-.05.3-.09.63-.09.94s.02.64.07.94l-2.03 1.58" +
      "a.49.49 0 0 0-.12.61l1.92 3.32c.12.22.37.29.59.22l2.39-.96c.5.38 1.03.7 1.62.94l.36 2.54c.05" +
      ".24.24.41.48.41h3.84c.24 0 .44-.17.47-.41l.36-2.54c.59-.24 1.13-.56 1.62-.94l2.39.96c.22.08" +
      ".47 0 .59-.22l1.92-3.32c.12-.22.07-.47-.12-.61l-2.01-1.58zM12 15.6A3.6 3.6 0 1 1 12 8.4a3.6" +
      " 3.6 0 0 1 0 7.2z"
  };

  var CSS =
    ":host{all:initial}" +
    "*,*::before,*::after{box-sizing:border-box}" +
    "[hidden]{display:none!important}" +
    ".w{font:15px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;" +
    "color:#1a1a1a;letter-spacing:normal;text-transform:none;text-align:left;direction:ltr;" +
    "-webkit-font-smoothing:antialiased}" +
    "button,textarea,a{font:inherit;color:inherit;margin:0}" +
    "button{cursor:pointer}" +
    ":focus-visible{outline:3px solid #1a1a1a;outline-offset:2px}" +
    ".sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}" +
    ".launcher{position:fixed;bottom:20px;right:20px;width:56px;height:56px;padding:0;border:0;" +
    "border-radius:50%;background:var(--bd-p);color:var(--bd-on);display:flex;align-items:center;" +
    "justify-content:center;box-shadow:0 4px 14px rgba(0,0,0,.28)}" +
    ".launcher:focus-visible{outline-offset:3px;box-shadow:0 0 0 3px #fff,0 4px 14px rgba(0,0,0,.28)}" +
    ".launcher svg{width:28px;height:28px}" +
    ".left .launcher,.left .panel{right:auto;left:20px}" +
    ".panel{position:fixed;bottom:88px;right:20px;width:370px;height:560px;" +
    "max-width:calc(100vw - 40px);max-height:calc(100vh - 108px);display:flex;" +
    "flex-direction:column;background:#fff;border-radius:12px;overflow:hidden;" +
    "box-shadow:0 10px 34px rgba(0,0,0,.28)}" +
    ".head{display:flex;align-items:center;gap:2px;padding:8px 8px 8px 16px;" +
    "background:var(--bd-p);color:var(--bd-on);position:relative}" +
    ".title{flex:1;font-size:16px;font-weight:600;white-space:nowrap;overflow:hidden;" +
    "text-overflow:ellipsis}" +
    ".icon{width:38px;height:38px;padding:0;border:0;border-radius:8px;background:transparent;" +
    "color:inherit;display:inline-flex;align-items:center;justify-content:center}" +
    ".icon:hover{background:rgba(128,128,128,.28)}" +
    ".icon:focus-visible{outline-color:currentColor;outline-offset:-3px}" +
    ".icon svg{width:22px;height:22px}" +
    ".menu{position:absolute;top:50px;right:8px;z-index:2;min-width:220px;padding:6px 0;" +
    "background:#fff;color:#1a1a1a;border:1px solid #d0d4da;border-radius:8px;" +
    "box-shadow:0 6px 20px rgba(0,0,0,.2)}" +
    ".menu button{display:block;width:100%;padding:9px 16px;border:0;background:#fff;" +
    "text-align:left;font-size:14px}" +
    ".menu button:hover,.menu button:focus{background:#eef1f5}" +
    ".menu button:focus-visible{outline-offset:-3px}" +
    ".log{flex:1;overflow-y:auto;padding:14px 12px;display:flex;flex-direction:column;gap:8px;" +
    "background:#f5f6f8}" +
    ".log:focus-visible{outline-offset:-3px}" +
    ".msg{display:flex;flex-direction:column;align-items:flex-start;max-width:86%}" +
    ".msg.me{align-self:flex-end;align-items:flex-end}" +
    ".b{padding:8px 12px;border-radius:14px 14px 14px 4px;background:#fff;" +
    "border:1px solid #dde1e6;overflow-wrap:anywhere;font-size:15px}" +
    ".me .b{white-space:pre-wrap;background:var(--bd-p);color:var(--bd-on);" +
    "border-color:transparent;border-radius:14px 14px 4px 14px}" +
    ".pending{opacity:.7}.sys-msg{align-self:center}" +
    ".b ul{margin:4px 0;padding-left:20px}" +
    ".b a,.note a{color:#0b57a4;text-decoration:underline}" +
    ".me .b a{color:inherit}" +
    ".qr{display:flex;flex-wrap:wrap;gap:6px;margin-top:6px}" +
    ".qr button,.qr a{padding:5px 12px;border:1px solid var(--bd-ink);border-radius:16px;" +
    "background:#fff;color:var(--bd-ink);font-size:14px;text-decoration:none;line-height:1.4}" +
    ".qr button:hover,.qr a:hover{background:#eef1f5}" +
    ".sys{align-self:center;max-width:90%;padding:6px 12px;border-radius:8px;background:#e8ebef;" +
    "color:#333;font-size:13px;text-align:center}" +
    ".typing .b{display:flex;gap:4px;padding:12px 14px}" +
    ".typing i{width:7px;height:7px;border-radius:50%;background:#6b7178;" +
    "animation:bd-blink 1.2s infinite}" +
    ".typing i:nth-child(2){animation-delay:.2s}.typing i:nth-child(3){animation-delay:.4s}" +
    "@keyframes bd-blink{0%,80%,100%{opacity:.25}40%{opacity:1}}" +
    "@media (prefers-reduced-motion:reduce){.typing i{animation:none}}" +
    ".foot{padding:8px 10px 8px;border-top:1px solid #dde1e6;background:#fff}" +
    ".row{display:flex;gap:8px;align-items:flex-end}" +
    "textarea{flex:1;min-width:0;height:42px;max-height:120px;resize:none;padding:9px 10px;" +
    "border:1px solid #858b93;border-radius:8px;background:#fff;color:#1a1a1a;font-size:15px;" +
    "line-height:1.4;display:block}" +
    "textarea::placeholder{color:#6b7178}" +
    "textarea:focus-visible{outline:2px solid var(--bd-ink);outline-offset:0;border-color:var(--bd-ink)}" +
    ".send,.confirm button{height:42px;padding:0 16px;border:0;border-radius:8px;" +
    "background:var(--bd-p);color:var(--bd-on);font-weight:600;font-size:15px}" +
    ".send[aria-disabled=true]{opacity:.55;cursor:default}" +
    ".note{margin:6px 2px 0;font-size:12px;color:#555b63}" +
    ".err{margin:0 0 8px;color:#b00020;font-size:13px}" +
    ".confirm{margin-bottom:8px;padding:10px;border:1px solid #e3b3b9;border-radius:8px;" +
    "background:#fdf2f3}" +
    ".confirm p{margin:0 0 8px;font-size:14px}" +
    ".confirm button{height:36px;margin-right:8px}" +
    ".confirm .danger{background:#b00020;color:#fff}" +
    ".confirm .cancel{background:#fff;color:#1a1a1a;border:1px solid #858b93}" +
    ".mail{border-color:#c9d3dd;background:#f4f7fa}" +
    ".mail label{display:block;margin:0 0 6px;font-size:14px}" +
    ".mail input{display:block;width:100%;height:38px;margin:0 0 8px;padding:0 10px;" +
    "border:1px solid #858b93;border-radius:8px;background:#fff;color:#1a1a1a;font-size:15px}" +
    ".mail input:focus-visible{outline:2px solid var(--bd-ink);outline-offset:0}" +
    ".ok{margin:0 0 8px;color:#1d6b35;font-size:13px}" +
    ".hand{max-height:50vh;overflow:auto;margin:0 0 8px;padding:10px;border:1px solid #c9d3dd;border-radius:10px;background:#f4f7fa;font-size:14px}" +
    ".hand p{margin:0 0 8px}.hand label{display:block;margin:6px 0 2px;font-weight:600}" +
    ".hand input,.hand select,.hand textarea{display:block;width:100%;box-sizing:border-box;min-height:36px;" +
    "padding:6px 10px;border:1px solid #858b93;border-radius:8px;background:#fff;color:#1a1a1a;font:inherit}" +
    ".hand [aria-invalid=true]{border-color:#b00020}.hand .fe{margin:2px 0 0;color:#b00020;font-size:13px}" +
    ".hand .acts{display:flex;gap:8px;margin-top:10px}.hand button{min-height:36px;padding:0 12px;" +
    "border-radius:8px;border:1px solid #858b93;background:#fff;color:#1a1a1a;font:inherit;cursor:pointer}" +
    ".hand .go{background:var(--bd-p);color:var(--bd-on);border-color:var(--bd-p)}" +
    ".hand .ck{display:inline;width:auto;min-height:0}.hand .ckl{font-weight:400}.au{display:block;font-size:12px;opacity:.75}" +
    ".stars{display:flex;gap:4px}.stars button{font-size:20px;line-height:1;padding:4px 8px}" +
    "@media (max-width:479.98px){.panel{top:0;left:0!important;right:0;bottom:0;width:100%;" +
    "height:100%;max-width:none;max-height:none;border-radius:0}.open .launcher{display:none}}";

  var cfg = {
    name: "", languages: null, default_language: "en", position: "right",
    colors: { primary: "#1f5f8b" }, privacy_policy_url: null, retention_days: null
  };
  var lang = "en";
  var t = TEXTS.en;
  var conv = load(); // {id, token, seq}: seq is the stream cursor (highest seq read in order)
  var msgs = []; // message objects, in seq order
  var nodes = new Map(); // seq -> element
  var ui = null;
  var wantOpen = false;
  var ws = null;
  var wsTries = 0;
  var wsTimer = 0;
  var pollTimer = 0;
  var polling = false;
  var sending = false;
  var failed = null; // {text, payload, cid} of the last send that failed: a retry reuses cid
  var status = "bot"; // the conversation's status as last heard from the server
  var typedAt = 0; // when the shopper's last "typing" frame went out

  // ---- storage: {id, token, seq} only ----------------------------------------------------
  function load() {
    try {
      var s = JSON.parse(sessionStorage.getItem(KEY) || "null");
      if (s && typeof s.id === "string" && typeof s.token === "string") {
        return { id: s.id, token: s.token, seq: Math.max(0, +s.seq || 0) };
      }
    } catch (e) { /* storage blocked or garbage */ }
    return null;
  }
  function save() {
    try {
      if (conv) sessionStorage.setItem(KEY, JSON.stringify({ id: conv.id, token: conv.token, seq: conv.seq }));
      else sessionStorage.removeItem(KEY);
    } catch (e) { /* storage blocked: the chat still works on this page */ }
  }

  // ---- HTTP ------------------------------------------------------------------------------
  function req(method, path, body, token, timeout) {
    var headers = {};
    if (body) headers["Content-Type"] = "application/json";
    if (token) headers.Authorization = "Bearer " + token;
    var ctl = window.AbortController ? new AbortController() : null;
    var timer = ctl && setTimeout(function () { ctl.abort(); }, timeout || 30000);
    return fetch(API + path, {
      method: method, headers: headers, body: body ? JSON.stringify(body) : undefined,
      credentials: "omit", cache: "no-store", referrerPolicy: "strict-origin",
      signal: ctl ? ctl.signal : undefined
    }).then(function (r) {
      clearTimeout(timer);
      if (r.status === 204) return null;
      return r.json().catch(function () { return {}; }).then(function (j) {
        if (r.ok) return j;
        var e = new Error((j && j.error && j.error.message) || "HTTP " + r.status);
        e.status = r.status;
        e.details = j && j.error && j.error.details;
        throw e;
      });
    }, function (e) { clearTimeout(timer); throw e; });
  }
  function convPath(c, rest) { return "/conversations/" + encodeURIComponent(c.id) + (rest || ""); }
  function gone(e) { return e && (e.status === 404 || e.status === 401); }

  // ---- language and colours --------------------------------------------------------------
  function pickLanguage() {
    var allowed = Array.isArray(cfg.languages) && cfg.languages.length ? cfg.languages : null;
    var wanted = [document.documentElement.getAttribute("lang")]
      .concat(navigator.languages || [], [navigator.language]);
    for (var i = 0; i < wanted.length; i++) {
      var code = String(wanted[i] || "").toLowerCase().split(/[-_]/)[0];
      if (code === "no" || code === "nn") code = "nb";
      if (code && (allowed ? allowed.indexOf(code) >= 0 : TEXTS[code])) return code;
    }
    return allowed ? (allowed.indexOf(cfg.default_language) >= 0 ? cfg.default_language : allowed[0]) : "en";
  }
  function hex(c) {
    var m = /^#([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(String(c || "").trim());
    if (!m) return null;
    return "#" + (m[1].length === 3 ? m[1].replace(/./g, "$&$&") : m[1]).toLowerCase();
  }
  function luminance(c) {
    var sum = 0;
    [0.2126, 0.7152, 0.0722].forEach(function (w, i) {
      var v = parseInt(c.substr(1 + 2 * i, 2), 16) / 255;
      sum += w * (v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4));
    });
    return sum;
  }
  function contrast(a, b) {
    var x = luminance(a), y = luminance(b);
    return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05);
  }

  // ---- DOM helpers -----------------------------------------------------------------------
  function el(tag, attrs, kids) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      var v = attrs[k];
      if (v == null || v === false) return;
      if (k === "text") e.textContent = v;
      else if (k.slice(0, 2) === "on") e.addEventListener(k.slice(2), v);
      else e.setAttribute(k, v === true ? "" : v);
    });
    (kids || []).forEach(function (k) { if (k != null) e.append(k); });
    return e;
  }
  function icon(name) {
    var ns = "http://www.w3.org/2000/svg";
    var svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    var p = document.createElementNS(ns, "path");
    p.setAttribute("d", ICONS[name]);
    p.setAttribute("fill", "currentColor");
    svg.append(p);
    return svg;
  }

  // ---- the safe Markdown subset for bot and agent text: DOM nodes only, never innerHTML ----
  function safeUrl(u) {
    if (/[\s\\<>"']/.test(u)) return null;
    return /^https?:\/\/[^/]/i.test(u) || /^\/(?!\/)/.test(u) ? u : null;
  }
  function link(href, kids) {
    return el("a", { href: href, target: "_blank", rel: "noopener noreferrer" }, kids);
  }
  function inline(s, into) {
    // A backslash makes the next punctuation plain text (merchant texts arrive escaped).
    var rx = /\\([\\`*_\[\]()<>#!|~])|\[((?:\\.|[^\]\n\\])+)\]\(([^)\s]+)\)|\*\*([^*\n]+)\*\*|\*([^*\n]+)\*/g;
    var last = 0, m;
    while ((m = rx.exec(s))) {
      into.append(s.slice(last, m.index));
      last = rx.lastIndex;
      var part;
      if (m[1] != null) { into.append(m[1]); continue; }
      m = [m[0], m[2], m[3], m[4], m[5]];
      if (m[1] != null) {
        var href = safeUrl(m[2]);
        if (!href) { into.append(m[0]); continue; }
        part = link(href);
        inline(m[1], part);
      } else {
        part = el(m[3] != null ? "strong" : "em");
        inline(m[3] != null ? m[3] : m[4], part);
      }
      into.append(part);
    }
    into.append(s.slice(last));
  }
  function markdown(text, into) {
    var list = null, needBreak = false;
    String(text).split(/\r?\n/).forEach(function (line) {
      var item = /^\s*- +(.*)$/.exec(line);
      if (item) {
        if (!list) into.append((list = el("ul")));
        var li = el("li");
        inline(item[1], li);
        list.append(li);
        needBreak = false;
        return;
      }
      if (list && !line.trim()) { list = null; return; }
      list = null;
      if (needBreak) into.append(el("br"));
      inline(line, into);
      needBreak = true;
    });
  }

  // ---- messages --------------------------------------------------------------------------
  function who(sender) { return t[sender] || sender; }

  function render(m) {
    var mine = m.sender === "visitor";
    var bubble = el("div", { class: "b" }, [el("span", { class: "sr", text: who(m.sender) + ": " })]);
    if (m.sender === "agent" && m.author) bubble.append(el("span", { class: "au", "aria-hidden": "true", text: String(m.author) }));
    if (mine) bubble.append(String(m.text));
    else markdown(m.text, bubble);
    var node = el("div", { class: "msg " + (mine ? "me" : m.sender === "system" ? "sys-msg" : "them"), "data-seq": String(m.seq) }, [bubble]);
    var quick = [], links = [];
    (Array.isArray(m.buttons) ? m.buttons : []).forEach(function (b) {
      var p = String(b.payload || "");
      if (p.indexOf("intent:") === 0) {
        quick.push(el("button", { type: "button", text: b.label, "data-payload": p }));
      } else if (p.indexOf("url:") === 0 && safeUrl(p.slice(4))) {
        links.push(link(safeUrl(p.slice(4)), [String(b.label)]));
      }
    });
    if (quick.length) {
      var row = el("div", { class: "qr quick", role: "group", "aria-label": who(m.sender) }, quick);
      row.addEventListener("click", function (ev) {
        var btn = ev.target.closest("button");
        if (!btn || sending) return;
        row.remove();
        ui.input.focus();
        send(btn.textContent, btn.getAttribute("data-payload"), false);
      });
      node.append(row);
    }
    if (links.length) node.append(el("div", { class: "qr" }, links));
    return node;
  }

  // fromStream: the message came from the ordered history (poll, socket), so it moves the cursor.
  function add(m, fromStream) {
    if (!m || typeof m.seq !== "number" || !ui) return;
    if (fromStream && conv && m.seq > conv.seq) conv.seq = m.seq;
    if (nodes.has(m.seq)) return;
    var i = msgs.length;
    while (i > 0 && msgs[i - 1].seq > m.seq) i--;
    msgs.splice(i, 0, m);
    var node = render(m);
    var next = msgs[i + 1] ? nodes.get(msgs[i + 1].seq) : ui.log.querySelector(".pending,.typing");
    ui.log.insertBefore(node, next || null);
    nodes.set(m.seq, node);
    if (m.sender === "visitor") {
      // Quick replies are offers for the next turn only.
      msgs.forEach(function (o) {
        var q = o.seq < m.seq && nodes.get(o.seq).querySelector(".quick");
        if (q) q.remove();
      });
      var p = ui.log.querySelector(".pending");
      if (p && p.getAttribute("data-text") === m.text) p.remove();
    }
    scrollDown();
  }
  function scrollDown() { if (ui) ui.log.scrollTop = ui.log.scrollHeight; }
  function clearLog() {
    msgs = [];
    nodes.clear();
    if (ui) { ui.log.textContent = ""; greet(); }
  }
  // The tenant's greeting opens the log; it is shown, not sent, so it is no message of record.
  function greet() {
    var text = cfg.greeting && typeof cfg.greeting === "object" ? cfg.greeting[lang] : null;
    if (!text || ui.log.querySelector(".greet")) return;
    var bubble = el("div", { class: "b" }, [el("span", { class: "sr", text: who("bot") + ": " })]);
    markdown(String(text), bubble);
    ui.log.prepend(el("div", { class: "msg them greet" }, [bubble]));
  }
  function deletedNote() {
    if (ui.log.querySelector(".sys")) return;
    ui.log.append(el("p", { class: "sys", role: "status", text: t.deleted }));
    scrollDown();
  }

  // ---- conversation, socket, polling -----------------------------------------------------
  function drop() {
    stopLive();
    conv = null;
    save();
    clearLog();
  }
  function start() {
    return req("POST", "/tenants/" + encodeURIComponent(slug) + "/conversations", { language: lang })
      .then(function (r) {
        conv = { id: String(r.conversation.id), token: String(r.visitor_token), seq: 0 };
        save();
        var days = r.conversation.retention_days;
        if (days && days !== cfg.retention_days) { cfg.retention_days = days; privacyNote(); }
        var old = ui.log.querySelector(".sys");
        if (old && !msgs.length) old.remove();
        connect();
      });
  }
  function catchUp(c) {
    var pages = 0;
    function step() {
      return req("GET", convPath(c, "/messages?after=" + c.seq + "&limit=100"), null, c.token)
        .then(function (r) {
          if (conv !== c) return;
          (r.messages || []).forEach(function (m) { add(m, true); });
          save();
          if (r.status && r.status !== status) onStatus(r.status);
          if (r.has_more && r.messages.length && ++pages < 50) return step();
        });
    }
    return step();
  }
  function poll() {
    if (!conv || polling || document.hidden) return;
    var c = conv;
    polling = true;
    catchUp(c).catch(function (e) {
      if (conv !== c) return;
      if (gone(e)) drop();
      else if (e.status === 403) stopLive(); // this site is not allowed: asking again won't help
    })
      .then(function () { polling = false; });
  }
  function startPoll() { if (!pollTimer) pollTimer = setInterval(poll, 3000); }
  function stopPoll() { clearInterval(pollTimer); pollTimer = 0; }
  function stopLive() {
    stopPoll();
    clearTimeout(wsTimer);
    if (ws) { var s = ws; ws = null; s.close(); }
  }
  function connect() {
    clearTimeout(wsTimer);
    if (!conv || ws) return;
    if (!window.WebSocket) return startPoll();
    var c = conv;
    var sock;
    try {
      sock = new WebSocket(BASE.replace(/^http/, "ws") + "/api/v1" + convPath(c, "/stream"));
    } catch (e) { return startPoll(); }
    ws = sock;
    sock.onopen = function () {
      stopPoll(); // the hello's backlog covers whatever a poll would have fetched
      sock.send(JSON.stringify({ type: "hello", token: c.token, after: c.seq }));
    };
    sock.onmessage = function (ev) {
      if (ws !== sock || conv !== c) return;
      var d;
      try { d = JSON.parse(ev.data); } catch (e) { return; }
      wsTries = 0;
      if (d.type === "message") { add(d.message, true); save(); if (d.message.sender !== "visitor") agentTyping(null); }
      else if (d.type === "erased") { drop(); deletedNote(); }
      else if (d.type === "status") onStatus(d.status);
      else if (d.type === "queue") showQueue(d);
      else if (d.type === "typing") agentTyping(d.typing ? d.name || t.agent : null);
    };
    sock.onclose = function (ev) {
      if (ws !== sock) return;
      ws = null;
      if (conv !== c) return;
      if (ev.code === 4404) { drop(); return; }
      if (ev.code === 4403) return; // origin not allowed: retrying cannot succeed
      poll();
      startPoll();
      var delay = Math.min(30000, 1000 * Math.pow(2, wsTries++)) * (0.5 + Math.random() / 2);
      wsTimer = setTimeout(connect, delay);
    };
  }
  function restore() {
    var c = conv;
    c.seq = 0;
    catchUp(c).then(function () { if (conv === c) connect(); }, function (e) {
      if (conv !== c) return;
      if (gone(e)) drop();
      else { startPoll(); wsTimer = setTimeout(connect, 3000); }
    });
  }

  // ---- sending ---------------------------------------------------------------------------
  function rid() {
    var a = new Uint8Array(12);
    crypto.getRandomValues(a);
    return Array.prototype.map.call(a, function (b) { return (b + 256).toString(16).slice(1); }).join("");
  }
  function setBusy(on) {
    sending = on;
    ui.input.readOnly = on;
    ui.send.setAttribute("aria-disabled", on ? "true" : "false");
    ui.log.setAttribute("aria-busy", on ? "true" : "false");
  }
  function error(text) {
    ui.err.textContent = text || "";
    ui.err.hidden = !text;
  }
  function errorText(e) {
    if (!e || !e.status) return t.offline;
    return e.status === 413 ? t.tooLong : e.status === 429 ? t.busy : t.error;
  }
  function submit() {
    var text = ui.input.value.trim();
    if (sending || !text) return;
    if (text.length > MAX) return error(t.tooLong);
    send(text, null, true);
  }
  function send(text, payload, typed) {
    var cid = failed && failed.text === text && failed.payload === payload ? failed.cid : rid();
    setBusy(true);
    error("");
    if (typed) { ui.input.value = ""; grow(); }
    var pending = el("div", { class: "msg me pending", "data-text": text }, [el("div", { class: "b", text: text })]);
    var typing = el("div", { class: "msg them typing", role: "status", "aria-label": t.typing },
      [el("div", { class: "b" }, [el("i"), el("i"), el("i")])]);
    ui.log.append(pending, typing);
    scrollDown();
    var body = { text: text, client_message_id: cid };
    if (payload) body.payload = payload;
    var retried = false;
    function post() {
      var c = conv;
      return req("POST", convPath(c, "/messages"), body, c.token).then(function (r) {
        if (conv !== c) return;
        add(r.message);
        (r.replies || []).forEach(function (m) { add(m); });
        if (r.status && r.status !== status) onStatus(r.status);
      }, function (e) {
        // The stored conversation is gone (erased, expired) or closed: start a new one, once.
        if ((gone(e) || (e && e.status === 409)) && !retried && conv === c) {
          retried = true;
          drop();
          return start().then(post);
        }
        throw e;
      });
    }
    (conv ? post() : start().then(post)).then(function () {
      failed = null;
    }, function (e) {
      failed = { text: text, payload: payload, cid: cid };
      error(errorText(e));
      if (typed && !ui.input.value) { ui.input.value = text; grow(); }
    }).then(function () {
      pending.remove();
      typing.remove();
      setBusy(false);
      scrollDown();
    });
  }
  function grow() {
    ui.input.style.height = "";
    ui.input.style.height = Math.min(120, Math.max(42, ui.input.scrollHeight + 2)) + "px";
  }


  // ---- handover: pre-chat form, queue, agent typing, rating -------------------------------
  function hand(kids) {
    ui.hand.textContent = "";
    (kids || []).forEach(function (k) { ui.hand.append(k); });
    ui.hand.hidden = !kids || !kids.length;
    scrollDown();
  }
  function onStatus(s) {
    var was = status;
    status = s;
    if (s === "pre_chat_form" || s === "queued") handover("GET");
    else if (s === "closed" && was === "with_agent") rating();
    else hand(null);
  }
  function handover(method) {
    var c = conv;
    if (!c) return;
    req(method, convPath(c, "/handover"), null, c.token).then(function (r) {
      if (conv !== c) return;
      status = r.status;
      if (r.form) form(r.form);
      else if (r.queue) showQueue(r.queue);
      else hand(null);
    }, function (e) { if (method === "POST") error(e && e.status === 409 ? e.message : errorText(e)); });
  }
  function form(f) {
    var inputs = {}, errs = {}, kids = [el("p", { text: f.kind === "offline" ? t.offTitle : t.formTitle })];
    f.fields.forEach(function (x) {
      var id = "bd-f-" + x.name, input;
      if (x.name === "topic") {
        input = el("select", { id: id }, [el("option", { value: "", text: t.pick })].concat(x.options.map(function (o) {
          return el("option", { value: o.value, text: o.label });
        })));
      } else if (x.name === "message") {
        input = el("textarea", { id: id, rows: "3", maxlength: String(MAX) });
      } else {
        input = el("input", { id: id, type: x.name === "email" ? "email" : "text", autocomplete: x.name === "email" ? "email" : "off", maxlength: "254" });
      }
      input.value = x.value || "";
      if (x.name === "topic" && x.value) input.value = x.value;
      if (x.required) input.setAttribute("aria-required", "true");
      errs[x.name] = el("p", { class: "fe", id: id + "-e", hidden: true });
      input.setAttribute("aria-describedby", id + "-e");
      inputs[x.name] = input;
      kids.push(el("label", { for: id, text: t[x.name] + (x.required ? "" : " " + t.optional) }), input, errs[x.name]);
    });
    var box = null;
    if (f.consent !== "none") {
      var line = [t.consent];
      var url = f.privacy_policy_url && safeUrl(f.privacy_policy_url);
      if (url) line.push(" ", link(url, [t.policy]));
      if (f.consent === "checkbox") {
        box = el("input", { type: "checkbox", id: "bd-f-consent", class: "ck" });
        errs.consent = el("p", { class: "fe", hidden: true });
        kids.push(el("label", { for: "bd-f-consent", class: "ckl" }, [box, " "].concat(line)), errs.consent);
      } else kids.push(el("p", { class: "small" }, line));
    }
    var go = el("button", { type: "submit", class: "go", text: f.kind === "offline" ? t.leaveMsg : t.go });
    kids.push(el("div", { class: "acts" }, [go, el("button", { type: "button", text: t.no, onclick: leaveQueue })]));
    var formEl = el("form", { novalidate: "novalidate", onsubmit: function (ev) {
      ev.preventDefault();
      var body = { consent: box ? box.checked : false };
      Object.keys(inputs).forEach(function (k) { body[k] = inputs[k].value; });
      Object.keys(errs).forEach(function (k) { errs[k].hidden = true; if (inputs[k]) inputs[k].removeAttribute("aria-invalid"); });
      go.disabled = true;
      req("POST", convPath(conv, "/handover/form"), body, conv.token).then(function (r) {
        status = r.status;
        if (r.queue) showQueue(r.queue); else hand(null);
      }, function (e) {
        go.disabled = false;
        if (e && e.status === 422 && e.details) {
          var first = null;
          e.details.forEach(function (d) {
            if (!errs[d.field]) return;
            errs[d.field].textContent = d.message; errs[d.field].hidden = false;
            if (inputs[d.field]) { inputs[d.field].setAttribute("aria-invalid", "true"); first = first || inputs[d.field]; }
          });
          if (first) first.focus();
        } else if (e && e.status === 409) handover("GET"); // nobody available any more: offline form
        else error(errorText(e));
      });
    } }, kids);
    hand([formEl]);
    var firstEmpty = Object.keys(inputs).map(function (k) { return inputs[k]; }).filter(function (i) { return !i.value; })[0];
    if (firstEmpty && !ui.panel.hidden) firstEmpty.focus();
  }
  function showQueue(q) {
    if (status !== "queued" && q.type === "queue") status = "queued";
    var wait = q.wait_seconds == null ? t.noWait : q.wait_seconds < 90 ? t.soon : t.wait.replace("{m}", Math.ceil(q.wait_seconds / 60));
    hand([el("p", { role: "status", text: t.pos.replace("{n}", q.position) + " " + wait }),
      el("div", { class: "acts" }, [el("button", { type: "button", text: t.leave, onclick: leaveQueue })])]);
  }
  function leaveQueue() {
    var c = conv;
    req("DELETE", convPath(c, "/handover"), null, c.token).then(function () { status = "bot"; hand(null); ui.input.focus(); },
      function (e) { error(errorText(e)); });
  }
  function rating() {
    var c = conv;
    var stars = [1, 2, 3, 4, 5].map(function (n) {
      return el("button", { type: "button", "aria-label": t.star.replace("{n}", n), text: "★", onclick: function () {
        req("POST", convPath(c, "/rating"), { score: n }, c.token).then(function () {
          hand([el("p", { role: "status", text: t.thanks })]);
        }, function (e) { error(errorText(e)); });
      } });
    });
    hand([el("p", { text: t.rate }), el("div", { class: "stars", role: "group", "aria-label": t.rate }, stars)]);
  }
  function agentTyping(name) {
    var old = ui && ui.log.querySelector(".agent-typing");
    if (old) old.remove();
    if (!name || !ui) return;
    ui.log.append(el("div", { class: "msg them typing agent-typing", role: "status", "aria-label": t.writing.replace("{name}", name) },
      [el("div", { class: "b" }, [el("i"), el("i"), el("i")])]));
    scrollDown();
  }
  function typingOut() {
    var now = Date.now();
    if (!ws || ws.readyState !== 1 || (status !== "with_agent" && status !== "queued") || now - typedAt < 2000) return;
    typedAt = now;
    ws.send(JSON.stringify({ type: "typing", typing: true }));
  }

  // ---- menu, downloads, deletion ---------------------------------------------------------
  function items() { return Array.prototype.slice.call(ui.menu.querySelectorAll("button")); }
  function outside(ev) { if (ev.composedPath().indexOf(ui.menu) < 0 && ev.composedPath().indexOf(ui.gear) < 0) closeMenu(false); }
  function openMenu() {
    ui.menu.hidden = false;
    ui.gear.setAttribute("aria-expanded", "true");
    items()[0].focus();
    document.addEventListener("pointerdown", outside, true);
  }
  function closeMenu(refocus) {
    if (ui.menu.hidden) return;
    ui.menu.hidden = true;
    ui.gear.setAttribute("aria-expanded", "false");
    document.removeEventListener("pointerdown", outside, true);
    if (refocus) ui.gear.focus();
  }
  function menuKeys(ev) {
    var list = items(), i = list.indexOf(ui.root.activeElement), n = list.length;
    var to = { ArrowDown: i + 1, ArrowUp: i - 1 + n, Home: 0, End: n - 1 }[ev.key];
    if (to != null) { ev.preventDefault(); list[to % n].focus(); }
    else if (ev.key === "Tab") closeMenu(false);
  }
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function when(iso) {
    var s = String(iso || "");
    var d = new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(s) ? s : s + "Z");
    return isNaN(d) ? "--:--" : pad(d.getHours()) + ":" + pad(d.getMinutes());
  }
  function download(kind) {
    closeMenu(true);
    var now = new Date();
    var day = now.getFullYear() + "-" + pad(now.getMonth() + 1) + "-" + pad(now.getDate());
    var data = kind === "json"
      ? JSON.stringify({ tenant: slug, conversation: conv && conv.id, exported_at: now.toISOString(), messages: msgs }, null, 2)
      : msgs.map(function (m) { return when(m.created_at) + " " + who(m.sender) + ": " + m.text; }).join("\n") + "\n";
    var url = URL.createObjectURL(new Blob([data], { type: kind === "json" ? "application/json" : "text/plain;charset=utf-8" }));
    var a = el("a", { href: url, download: "chat-" + slug + "-" + day + "." + kind, hidden: true });
    ui.root.append(a);
    a.click();
    a.remove();
    setTimeout(function () { URL.revokeObjectURL(url); }, 30000);
  }
  // The address goes to the server once, for this one email; the widget keeps it nowhere.
  function askMail() {
    closeMenu(false);
    error("");
    ui.ok.hidden = true;
    if (!conv) return error(t.nothing);
    ui.mail.hidden = false;
    ui.row.hidden = true;
    ui.mailInput.focus();
  }
  function endMail() {
    ui.mail.hidden = true;
    ui.row.hidden = false;
  }
  function doMail(ev) {
    if (ev) ev.preventDefault();
    var address = ui.mailInput.value.trim();
    if (!address || !ui.mailInput.checkValidity()) return error(t.mailBad);
    var c = conv;
    if (!c) { endMail(); return error(t.nothing); }
    error("");
    ui.mailSend.setAttribute("aria-disabled", "true");
    req("POST", convPath(c, "/transcript/email"), { email: address }, c.token).then(function () {
      ui.mailInput.value = "";
      endMail();
      ui.ok.textContent = t.mailSent;
      ui.ok.hidden = false;
      ui.input.focus();
    }, function (e) {
      var status = e && e.status;
      error(status === 422 ? t.mailBad : status === 429 ? t.mailLimit : status === 503 ? t.mailOff
        : errorText(e));
      ui.mailInput.focus();
    }).then(function () { ui.mailSend.setAttribute("aria-disabled", "false"); });
  }
  function askDelete() {
    closeMenu(false);
    error("");
    ui.ok.hidden = true;
    endMail();
    ui.confirm.hidden = false;
    ui.row.hidden = true;
    ui.confirm.querySelector(".cancel").focus();
  }
  function endConfirm() {
    ui.confirm.hidden = true;
    ui.row.hidden = false;
  }
  function doDelete() {
    if (sending) return;
    var c = conv;
    stopLive(); // our own erasure: no need to hear about it on the stream
    (c ? req("DELETE", convPath(c), null, c.token) : Promise.resolve()).then(null, function (e) {
      if (!gone(e)) throw e; // already gone counts as deleted
    }).then(function () {
      if (conv === c) drop();
      failed = null;
      endConfirm();
      deletedNote();
      ui.input.focus();
    }, function (e) {
      endConfirm();
      error(errorText(e));
      ui.gear.focus();
      if (conv === c) connect();
    });
  }

  // ---- the widget ------------------------------------------------------------------------
  function privacyNote() {
    if (!ui) return;
    ui.note.textContent = "";
    var days = cfg.retention_days;
    if (days) ui.note.append(t.privacy.replace("{n}", days));
    var url = cfg.privacy_policy_url;
    if (url && /^https?:\/\//i.test(url) && safeUrl(url)) {
      ui.note.append(days ? " " : "", link(url, [t.policy]));
    }
    ui.note.hidden = !ui.note.childNodes.length;
  }
  function open() {
    if (!ui) { wantOpen = true; return; }
    ui.w.classList.add("open");
    ui.panel.hidden = false;
    ui.launcher.setAttribute("aria-expanded", "true");
    ui.launcher.setAttribute("aria-label", t.close);
    scrollDown();
    ui.input.focus();
  }
  function close() {
    wantOpen = false;
    if (!ui || ui.panel.hidden) return;
    closeMenu(false);
    ui.w.classList.remove("open");
    ui.panel.hidden = true;
    ui.launcher.setAttribute("aria-expanded", "false");
    ui.launcher.setAttribute("aria-label", t.open);
    ui.launcher.focus();
  }

  function build() {
    var primary = hex(cfg.colors && cfg.colors.primary) || "#1f5f8b";
    var onWhite = contrast(primary, "#ffffff");
    var host = el("div", { "data-botdesk": slug });
    // Inline !important beats the shop's !important rules on the host element itself.
    [["all", "initial"], ["display", "block"], ["position", "fixed"], ["z-index", "2147483000"],
      ["bottom", "0"], [cfg.position === "left" ? "left" : "right", "0"], ["width", "0"],
      ["height", "0"], ["overflow", "visible"], ["visibility", "visible"], ["opacity", "1"],
      ["--bd-p", primary], ["--bd-on", onWhite >= contrast(primary, "#111111") ? "#ffffff" : "#111111"],
      ["--bd-ink", onWhite >= 4.5 ? primary : "#1a1a1a"]
    ].forEach(function (p) { host.style.setProperty(p[0], p[1], "important"); });
    var root = host.attachShadow({ mode: "open" });
    try {
      var sheet = new CSSStyleSheet();
      sheet.replaceSync(CSS);
      root.adoptedStyleSheets = [sheet]; // not subject to the shop's style-src CSP
    } catch (e) {
      root.append(el("style", { text: CSS }));
    }
    var name = cfg.name || t.title;
    var u = { root: root };
    u.launcher = el("button", {
      type: "button", class: "launcher", "aria-label": t.open, "aria-expanded": "false",
      "aria-controls": "bd-panel", onclick: function () { if (u.panel.hidden) open(); else close(); }
    }, [icon("chat")]);
    u.gear = el("button", {
      type: "button", class: "icon", "aria-label": t.menu, "aria-haspopup": "menu",
      "aria-expanded": "false", "aria-controls": "bd-menu",
      onclick: function () { if (u.menu.hidden) openMenu(); else closeMenu(true); }
    }, [icon("gear")]);
    function item(text, fn) {
      return el("button", { type: "button", role: "menuitem", tabindex: "-1", text: text, onclick: fn });
    }
    u.menu = el("div", { id: "bd-menu", class: "menu", role: "menu", "aria-label": t.menu, hidden: true, onkeydown: menuKeys }, [
      item(t.dlText, function () { download("txt"); }),
      item(t.dlJson, function () { download("json"); }),
      item(t.mail, askMail),
      item(t.person, function () { closeMenu(false); (conv ? Promise.resolve() : start()).then(function () { handover("POST"); }, function (e) { error(errorText(e)); }); }),
      item(t.del, askDelete)
    ]);
    u.log = el("div", { class: "log", role: "log", "aria-live": "polite", "aria-label": t.messages, tabindex: "0" });
    u.err = el("p", { class: "err", role: "alert", hidden: true });
    u.confirm = el("div", { class: "confirm", role: "group", "aria-labelledby": "bd-ask", hidden: true }, [
      el("p", { id: "bd-ask", text: t.ask }),
      el("button", { type: "button", class: "danger", text: t.yes, onclick: doDelete }),
      el("button", { type: "button", class: "cancel", text: t.no, onclick: function () { endConfirm(); u.gear.focus(); } })
    ]);
    u.mailInput = el("input", {
      id: "bd-mail", type: "email", autocomplete: "email", maxlength: "254", required: "required"
    });
    u.mailSend = el("button", { type: "submit", text: t.mailSend, "aria-disabled": "false" });
    u.mail = el("form", { class: "confirm mail", hidden: true, novalidate: "novalidate", onsubmit: doMail }, [
      el("label", { for: "bd-mail", text: t.mailLabel }), u.mailInput, u.mailSend,
      el("button", { type: "button", class: "cancel", text: t.no, onclick: function () { endMail(); u.gear.focus(); } })
    ]);
    u.ok = el("p", { class: "ok", role: "status", hidden: true });
    u.hand = el("div", { class: "hand", role: "region", "aria-label": t.person, hidden: true });
    u.input = el("textarea", {
      rows: "1", maxlength: String(MAX), placeholder: t.placeholder, "aria-label": t.placeholder,
      oninput: function () { grow(); typingOut(); },
      onkeydown: function (ev) {
        if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing) { ev.preventDefault(); submit(); }
      }
    });
    u.send = el("button", { type: "button", class: "send", text: t.send, "aria-disabled": "false", onclick: submit });
    u.row = el("div", { class: "row" }, [u.input, u.send]);
    u.note = el("p", { class: "note" });
    u.panel = el("div", { id: "bd-panel", class: "panel", role: "dialog", "aria-label": name, hidden: true }, [
      el("div", { class: "head" }, [
        el("div", { class: "title", text: name }), u.gear,
        el("button", { type: "button", class: "icon", "aria-label": t.close, onclick: close }, [icon("close")]),
        u.menu
      ]),
      u.log,
      el("div", { class: "foot" }, [u.hand, u.err, u.ok, u.confirm, u.mail, u.row, u.note])
    ]);
    u.w = el("div", { class: "w" + (cfg.position === "left" ? " left" : ""), lang: lang }, [u.launcher, u.panel]);
    u.w.addEventListener("keydown", function (ev) {
      if (ev.key !== "Escape") return;
      if (!u.menu.hidden) closeMenu(true);
      else if (!u.confirm.hidden) { endConfirm(); u.gear.focus(); }
      else if (!u.mail.hidden) { endMail(); u.gear.focus(); }
      else if (!u.panel.hidden) close();
      else return;
      ev.stopPropagation();
    });
    root.append(u.w);
    document.body.append(host);
    ui = u;
    privacyNote();
    greet();
  }

  function init() {
    req("GET", "/tenants/" + encodeURIComponent(slug) + "/widget", null, null, 8000)
      .then(function (c) { if (c && typeof c === "object") Object.assign(cfg, c); }, function (e) {
        // No such tenant: a misconfigured script tag shows nothing rather than a broken chat.
        if (e && e.status === 404) throw e;
        /* unreachable for now: defaults */
      })
      .then(function () {
        lang = pickLanguage();
        t = TEXTS[lang] || TEXTS.en;
        var own = cfg.texts && typeof cfg.texts === "object" ? cfg.texts[lang] : null;
        if (own && typeof own === "object") {
          t = Object.assign({}, t);
          Object.keys(own).forEach(function (k) {
            if (typeof own[k] === "string" && typeof t[k] === "string") t[k] = own[k];
          });
        }
        build();
        if (conv) restore();
        if (wantOpen) open();
      }, function () {
        if (window.console) console.warn("botdesk: no tenant " + JSON.stringify(slug));
      });
    window.addEventListener("online", function () {
      if (!conv) return;
      poll();
      if (!ws) { wsTries = 0; connect(); }
    });
    document.addEventListener("visibilitychange", function () { if (!document.hidden && !ws) poll(); });
  }

  window.Botdesk = Object.freeze({ open: open, close: close, version: VERSION });
  if (document.body) init();
  else document.addEventListener("DOMContentLoaded", init);
})();
