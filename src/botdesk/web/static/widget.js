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
      writing: "{name} is typing…", someone: "Agent is typing…",
      unread1: "{n} unread message", unreadN: "{n} unread messages", newMsg: "New message",
      dismiss: "Dismiss", fresh: "New conversation", skip: "Skip to chat",
      freshAsk: "Start a new conversation? This one will no longer show here.", freshYes: "Start new",
      reply1: "A person usually answers within a minute.",
      replyN: "A person usually answers within {n} minutes.",
      kept: "This chat is kept on this device for {n} days.", options: "Options",
      transcript: "Chat with {shop}", topics: "Topics"
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
      writing: "{name} kirjoittaa…", someone: "Asiakaspalvelija kirjoittaa…",
      unread1: "{n} lukematon viesti", unreadN: "{n} lukematonta viestiä", newMsg: "Uusi viesti",
      dismiss: "Ohita", fresh: "Uusi keskustelu", skip: "Siirry chattiin",
      freshAsk: "Aloitetaanko uusi keskustelu? Tämä keskustelu ei enää näy tässä.", freshYes: "Aloita uusi",
      reply1: "Asiakaspalvelija vastaa yleensä minuutin kuluessa.",
      replyN: "Asiakaspalvelija vastaa yleensä {n} minuutin kuluessa.",
      kept: "Keskustelu säilyy tällä laitteella {n} päivää.", options: "Vaihtoehdot",
      transcript: "Keskustelu: {shop}", topics: "Aiheet"
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
      writing: "{name} skriver…", someone: "Kundtjänst skriver…",
      unread1: "{n} oläst meddelande", unreadN: "{n} olästa meddelanden", newMsg: "Nytt meddelande",
      dismiss: "Stäng", fresh: "Ny konversation", skip: "Hoppa till chatten",
      freshAsk: "Starta en ny konversation? Den här visas inte längre här.", freshYes: "Starta ny",
      reply1: "En person svarar oftast inom en minut.",
      replyN: "En person svarar oftast inom {n} minuter.",
      kept: "Chatten sparas på den här enheten i {n} dagar.", options: "Alternativ",
      transcript: "Chatt med {shop}", topics: "Ämnen"
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
      writing: "{name} skriver …", someone: "Kundeservice skriver …",
      unread1: "{n} ulest melding", unreadN: "{n} uleste meldinger", newMsg: "Ny melding",
      dismiss: "Lukk", fresh: "Ny samtale", skip: "Hopp til chatten",
      freshAsk: "Starte en ny samtale? Denne vises ikke lenger her.", freshYes: "Start ny",
      reply1: "En person svarer vanligvis innen ett minutt.",
      replyN: "En person svarer vanligvis innen {n} minutter.",
      kept: "Chatten lagres på denne enheten i {n} dager.", options: "Alternativer",
      transcript: "Chat med {shop}", topics: "Emner"
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
    // The host is fixed over the visual viewport (fit()); these sit inside it, so a page wider
    // than the screen cannot push them off it. The host lets clicks through; these take them.
    ".launcher,.panel,.peek{pointer-events:auto}" +
    ".launcher{position:absolute;bottom:20px;right:20px;width:56px;height:56px;padding:0;border:0;" +
    "border-radius:50%;background:var(--bd-p);color:var(--bd-on);display:flex;align-items:center;" +
    "justify-content:center;box-shadow:0 4px 14px rgba(0,0,0,.28)}" +
    ".launcher:focus-visible{outline-offset:3px;box-shadow:0 0 0 3px #fff,0 4px 14px rgba(0,0,0,.28)}" +
    ".launcher svg{width:28px;height:28px}" +
    ".badge{position:absolute;top:-5px;right:-5px;min-width:22px;height:22px;padding:0 6px;" +
    "border-radius:11px;background:#b00020;color:#fff;border:2px solid #fff;font-size:12px;" +
    "font-weight:700;line-height:18px;text-align:center}" +
    ".peek{position:absolute;bottom:88px;right:20px;width:280px;max-width:calc(100% - 40px);" +
    "display:flex;align-items:flex-start;gap:2px;padding:6px;background:#fff;color:#1a1a1a;" +
    "border-radius:12px;box-shadow:0 6px 24px rgba(0,0,0,.25)}" +
    ".peek .pt{flex:1;min-width:0;padding:6px 8px;border:0;border-radius:8px;background:#fff;" +
    "text-align:left;font-size:14px;overflow-wrap:anywhere}" +
    ".peek .pt:hover{background:#eef1f5}.peek .pw{display:block;font-size:12px;color:#555b63}" +
    ".peek .icon{width:30px;height:30px}.peek .icon svg{width:16px;height:16px}" +
    ".left .launcher,.left .panel,.left .peek{right:auto;left:20px}" +
    ".panel{position:absolute;bottom:88px;right:20px;width:370px;height:560px;" +
    "max-width:calc(100% - 40px);max-height:calc(100% - 108px);display:flex;" +
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
    ".typing .b{display:flex;align-items:center;gap:4px;padding:12px 14px}" +
    ".typing .tl{margin-right:6px;font-size:13px;color:#444a51}" +
    ".welcome{display:flex;flex-direction:column;gap:8px}" +
    ".eta{margin:0 2px;font-size:13px;color:#555b63}" +
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
    // Full screen when the visual viewport is narrow (a class, not a media query: the layout
    // viewport of a page that overflows is wider than the phone's screen).
    ".full .panel{top:0;left:0!important;right:0;bottom:0;width:100%;height:100%;max-width:none;" +
    "max-height:none;border-radius:0}.full.open .launcher,.full.open .peek{display:none}";

  var cfg = {
    name: "", languages: null, default_language: "en", position: "right",
    colors: { primary: "#1f5f8b" }, privacy_policy_url: null, retention_days: null,
    topics: {}, reply_minutes: null, time_zone: "UTC", sound: false, keep_days: 0
  };
  var lang = "en";
  var t = TEXTS.en;
  // {id, token, seq, lang}: seq is the stream cursor (highest seq read in order). Loaded once
  // the settings say where (keep_days).
  var conv = null;
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
  var live = false; // history is loaded: from now on, messages are news (unread counts)
  var unread = 0;
  var seenSeq = 0; // messages up to here were seen in another tab
  var flashTimer = 0;
  var baseTitle = null; // the page's own title while ours flashes
  var gestured = false; // browsers play sound only after the shopper clicked or typed
  var audio = null;
  var chan = null; // BroadcastChannel to this shop's other tabs
  var view = null; // what the handover area shows, to redraw it in another language
  var typingName; // the agent typing now: undefined none, null unnamed, or the name

  // ---- storage: {id, token, seq, lang} (+ exp in localStorage) only -----------------------
  // sessionStorage by default (this tab only, gone with it); localStorage for keep_days days
  // when the tenant turned continuity on. Either holds one conversation's token, nothing else.
  function keepDays() {
    var d = Math.floor(+cfg.keep_days || 0);
    return d > 0 && d <= 30 ? d : 0;
  }
  function load() {
    var s = null;
    try {
      if (!keepDays()) localStorage.removeItem(KEY); // continuity turned off: forget what was kept
      s = JSON.parse((keepDays() && localStorage.getItem(KEY)) || sessionStorage.getItem(KEY) || "null");
    } catch (e) { /* storage blocked or garbage */ }
    if (!s || typeof s.id !== "string" || typeof s.token !== "string") return null;
    if (s.exp && !(s.exp > Date.now())) {
      try { localStorage.removeItem(KEY); } catch (e) { /* blocked */ }
      return null;
    }
    return { id: s.id, token: s.token, seq: Math.max(0, +s.seq || 0), lang: typeof s.lang === "string" ? s.lang : null };
  }
  function save() {
    try {
      var days = keepDays(), area = days ? localStorage : sessionStorage;
      (days ? sessionStorage : localStorage).removeItem(KEY);
      if (!conv) return area.removeItem(KEY);
      var v = { id: conv.id, token: conv.token, seq: conv.seq, lang: conv.lang || lang };
      if (days) v.exp = Date.now() + days * 864e5; // days after the last activity
      area.setItem(KEY, JSON.stringify(v));
    } catch (e) { /* storage blocked: the chat still works on this page */ }
  }

  // ---- other tabs of the shop: the chat follows the shopper (same origin only) --------------
  function tabs() {
    if (!window.BroadcastChannel) return;
    try { chan = new BroadcastChannel(KEY); } catch (e) { return; }
    chan.onmessage = function (ev) {
      var d = ev.data || {};
      // Handed on only while it is still stored here: a shop that clears storage (a sign-out,
      // say) means the chat to end with it, not to move into the next tab.
      if (d.type === "ask" && conv) { var kept = load(); if (kept && kept.id === conv.id) announce(); }
      else if (d.type === "conv" && d.conv && typeof d.conv.id === "string" && typeof d.conv.token === "string") {
        if (!conv || conv.id !== d.conv.id) adopt(d.conv);
      } else if (d.type === "drop" && conv && conv.id === d.id) drop();
      else if (d.type === "seen" && conv && conv.id === d.id) { seenSeq = Math.max(seenSeq, +d.seq || 0); clearUnread(); }
    };
    if (!conv) chan.postMessage({ type: "ask" });
  }
  function tell(d) { try { if (chan) chan.postMessage(d); } catch (e) { /* closed */ } }
  function announce() { if (conv) tell({ type: "conv", conv: { id: conv.id, token: conv.token, lang: conv.lang || lang } }); }
  function adopt(c) {
    stopLive();
    conv = { id: c.id, token: c.token, seq: 0, lang: typeof c.lang === "string" ? c.lang : null };
    status = "bot";
    hand(null);
    clearLog();
    if (conv.lang) setLang(conv.lang);
    save();
    restore();
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
  // Erased, expired by retention, or a token that no longer opens it: start afresh.
  function gone(e) { return e && (e.status === 404 || e.status === 410 || e.status === 401); }

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
  function textsFor(code) {
    var own = cfg.texts && typeof cfg.texts === "object" ? cfg.texts[code] : null;
    var out = TEXTS[code] || TEXTS.en;
    if (own && typeof own === "object") {
      out = Object.assign({}, out);
      Object.keys(own).forEach(function (k) {
        if (typeof own[k] === "string" && typeof out[k] === "string") out[k] = own[k];
      });
    }
    return out;
  }
  // The conversation's language, once the server knows it, is the language of every text of
  // the widget from then on: one language at a time, never a Finnish answer under English labels.
  function setLang(code) {
    code = String(code || "").toLowerCase().split(/[-_]/)[0];
    if (code === "no" || code === "nn") code = "nb";
    if (conv && TEXTS[code] && conv.lang !== code) { conv.lang = code; save(); }
    if (!TEXTS[code] || code === lang) return;
    lang = code;
    t = textsFor(code);
    if (ui) relabel();
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
      stale(m.seq);
      var p = ui.log.querySelector(".pending");
      if (p && p.getAttribute("data-text") === m.text) p.remove();
    }
    news(m);
    scrollDown();
  }
  // Quick replies (and the welcome's topics) are offers for the next turn only.
  function stale(seq) {
    msgs.forEach(function (o) {
      var q = o.seq < seq && nodes.get(o.seq).querySelector(".quick");
      if (q) q.remove();
    });
    var w = ui.log.querySelectorAll(".welcome .quick, .welcome .eta");
    Array.prototype.forEach.call(w, function (n) { n.remove(); });
  }
  function scrollDown() { if (ui) ui.log.scrollTop = ui.log.scrollHeight; }
  function clearLog() {
    msgs = [];
    nodes.clear();
    if (ui) { ui.log.textContent = ""; greet(); }
  }
  // The welcome opens the log: the tenant's greeting, topic buttons and, when the queue's
  // history can tell, how soon a person answers. It is shown, not sent: no message of record.
  function greet() {
    if (!ui) return;
    var old = ui.log.querySelector(".welcome");
    if (old) old.remove();
    var kids = [], text = cfg.greeting && typeof cfg.greeting === "object" ? cfg.greeting[lang] : null;
    if (text) {
      var bubble = el("div", { class: "b" }, [el("span", { class: "sr", text: who("bot") + ": " })]);
      markdown(String(text), bubble);
      kids.push(el("div", { class: "msg them greet" }, [bubble]));
    }
    if (!msgs.some(function (m) { return m.sender === "visitor"; })) {
      var topics = cfg.topics && Array.isArray(cfg.topics[lang]) ? cfg.topics[lang] : [];
      var buttons = topics.filter(function (x) { return x && x.title; }).map(function (x) {
        var payload = /^intent:[a-z][a-z0-9_]{1,62}$/.test(String(x.payload)) ? String(x.payload) : null;
        return el("button", { type: "button", text: String(x.title), "data-payload": payload });
      });
      if (buttons.length) {
        var row = el("div", { class: "qr quick topics", role: "group", "aria-label": t.topics }, buttons);
        row.addEventListener("click", function (ev) {
          var btn = ev.target.closest("button");
          if (!btn || sending) return;
          row.remove();
          ui.input.focus();
          send(btn.textContent, btn.getAttribute("data-payload"), false);
        });
        kids.push(row);
      }
      var n = cfg.reply_minutes;
      if (typeof n === "number" && n > 0 && n < 1000) {
        kids.push(el("p", { class: "eta", text: n === 1 ? t.reply1 : t.replyN.replace("{n}", n) }));
      }
    }
    if (kids.length) ui.log.prepend(el("div", { class: "welcome" }, kids));
  }
  // Everything already on screen, again in the current language.
  function relabel() {
    ui.w.setAttribute("lang", lang);
    ui.labels.forEach(function (l) {
      var text = typeof l[2] === "function" ? l[2]() : t[l[2]];
      if (l[1] === "text") l[0].textContent = text; else l[0].setAttribute(l[1], text);
    });
    launcherLabel();
    privacyNote();
    msgs.forEach(function (m) {
      var node = render(m);
      nodes.get(m.seq).replaceWith(node);
      nodes.set(m.seq, node);
    });
    var last = msgs.filter(function (m) { return m.sender === "visitor"; }).pop();
    if (last) stale(last.seq);
    greet();
    if (view) view();
    if (typingName !== undefined) agentTyping(true, typingName);
  }

  // ---- unread: badge, accessible name, preview, title, tone --------------------------------
  function news(m) {
    if (!live || (m.sender !== "bot" && m.sender !== "agent")) return;
    if (!ui.panel.hidden) {
      if (!document.hidden && conv) tell({ type: "seen", id: conv.id, seq: m.seq });
      return;
    }
    if (m.seq <= seenSeq) return;
    unread++;
    badge();
    ui.peekWho.textContent = m.sender === "agent" && m.author ? String(m.author) : who(m.sender);
    ui.peekText.textContent = preview(m.text);
    ui.peek.hidden = false;
    flash();
    tone();
  }
  function preview(text) {
    var s = plain(text).replace(/\s+/g, " ").trim();
    return s.length > 90 ? s.slice(0, 88).replace(/\s+\S*$/, "") + "…" : s;
  }
  function badge() {
    ui.badge.textContent = unread > 99 ? "99+" : String(unread);
    ui.badge.hidden = !unread;
    launcherLabel();
  }
  function launcherLabel() {
    var label = !ui.panel.hidden ? t.close : t.open;
    if (unread && ui.panel.hidden) label += ", " + (unread === 1 ? t.unread1 : t.unreadN).replace("{n}", unread);
    ui.launcher.setAttribute("aria-label", label);
  }
  function clearUnread() {
    unread = 0;
    if (!ui) return;
    badge();
    ui.peek.hidden = true;
    stopFlash();
  }
  function flash() {
    var on = false;
    if (baseTitle === null) baseTitle = document.title;
    clearInterval(flashTimer);
    function tick() {
      on = !on;
      document.title = on ? "(" + unread + ") " + t.newMsg : baseTitle;
    }
    tick();
    flashTimer = setInterval(tick, 1500);
  }
  function stopFlash() {
    clearInterval(flashTimer);
    flashTimer = 0;
    if (baseTitle !== null) document.title = baseTitle;
    baseTitle = null;
  }
  // A short two-note chime made on the spot (no audio file), if the tenant wants one.
  function tone() {
    if (!cfg.sound || !gestured) return;
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      var now = audio.currentTime, g = audio.createGain(), o = audio.createOscillator();
      o.type = "sine";
      o.frequency.setValueAtTime(880, now);
      o.frequency.setValueAtTime(660, now + 0.12);
      g.gain.setValueAtTime(0.0001, now);
      g.gain.exponentialRampToValueAtTime(0.12, now + 0.02);
      g.gain.exponentialRampToValueAtTime(0.0001, now + 0.3);
      o.connect(g);
      g.connect(audio.destination);
      o.start(now);
      o.stop(now + 0.32);
    } catch (e) { /* no audio here: the badge and the title still tell */ }
  }
  function deletedNote() {
    if (ui.log.querySelector(".sys")) return;
    ui.log.append(el("p", { class: "sys", role: "status", text: t.deleted }));
    scrollDown();
  }

  // ---- conversation, socket, polling -----------------------------------------------------
  // Forget the conversation here (and in the shop's other tabs): the welcome again.
  function drop() {
    var c = conv;
    stopLive();
    conv = null;
    save();
    if (c) tell({ type: "drop", id: c.id });
    status = "bot";
    agentTyping(false);
    if (ui) hand(null);
    clearLog();
  }
  function start() {
    return req("POST", "/tenants/" + encodeURIComponent(slug) + "/conversations", { language: lang })
      .then(function (r) {
        conv = { id: String(r.conversation.id), token: String(r.visitor_token), seq: 0, lang: null };
        setLang(r.conversation.language);
        save();
        announce();
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
      if (d.type === "message") { add(d.message, true); save(); if (d.message.sender !== "visitor") agentTyping(false); }
      else if (d.type === "erased") { drop(); deletedNote(); }
      else if (d.type === "status") onStatus(d.status);
      else if (d.type === "queue") showQueue(d);
      else if (d.type === "typing") agentTyping(!!d.typing, d.name ? String(d.name) : null);
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
    // The conversation's language (the bot may have switched it): the history comes meanwhile.
    req("GET", convPath(c), null, c.token).then(function (r) {
      if (conv === c && r && r.language) setLang(r.language);
    }, function () { /* the history's answer says what went wrong */ });
    catchUp(c).then(function () { live = true; if (conv === c) connect(); }, function (e) {
      live = true;
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
        if (r.language) setLang(r.language);
        add(r.message);
        (r.replies || []).forEach(function (m) { add(m); });
        if (r.status && r.status !== status) onStatus(r.status);
      }, function (e) {
        // The stored conversation is gone (erased, expired by retention): start afresh, once.
        // A closed one is not gone: the server lets it go on with the bot (closed -> bot), and
        // only "New conversation" in the menu starts another.
        if (gone(e) && !retried && conv === c) {
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
  // redraw: how to show the same again in another language (see relabel).
  function hand(kids, redraw) {
    view = kids && kids.length ? redraw || null : null;
    ui.hand.textContent = "";
    (kids || []).forEach(function (k) { ui.hand.append(k); });
    ui.hand.hidden = !kids || !kids.length;
    composer();
    scrollDown();
  }
  // One way to send at a time: while a form is open (pre-chat, email, delete), the message
  // box and its Send button step aside.
  function composer() {
    var had = ui.row.contains(ui.root.activeElement);
    ui.row.hidden = !ui.mail.hidden || !ui.confirm.hidden || !!ui.hand.querySelector("form");
    if (had && ui.row.hidden) ui.panel.focus();
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
    // Drawn again over an open form (a late status event, a relabel): what the shopper has
    // typed, ticked and is typing in stays; the server's copy only fills what is still empty.
    var typed = {}, wasTicked = false, hadFocus = null;
    if (ui.hand.querySelector("form")) {
      f.fields.forEach(function (x) {
        var old = ui.hand.querySelector("#bd-f-" + x.name);
        if (old && old.value) typed[x.name] = old.value;
      });
      var oldBox = ui.hand.querySelector("#bd-f-consent");
      wasTicked = !!(oldBox && oldBox.checked);
      var active = ui.root.activeElement;
      hadFocus = active && active.id && active.id.indexOf("bd-f-") === 0 ? active.id : null;
    }
    var inputs = {}, errs = {}, kids = [el("p", { text: f.kind === "offline" ? t.offTitle : t.formTitle })];
    function redraw() {
      f.fields.forEach(function (x) { if (inputs[x.name]) x.value = inputs[x.name].value; });
      var ticked = box && box.checked;
      form(f);
      var again = ui.hand.querySelector("#bd-f-consent");
      if (again) again.checked = ticked;
    }
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
      input.value = typed[x.name] || x.value || "";
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
        box.checked = wasTicked;
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
        // An offline message is acknowledged in the chat and the bot takes over again.
        if (!ws) poll();
        ui.input.focus();
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
    hand([formEl], redraw);
    var again = hadFocus && ui.hand.querySelector("#" + hadFocus);
    var firstEmpty = Object.keys(inputs).map(function (k) { return inputs[k]; }).filter(function (i) { return !i.value; })[0];
    if (again) again.focus();
    else if (firstEmpty && !ui.panel.hidden) firstEmpty.focus();
  }
  function showQueue(q) {
    if (status !== "queued" && q.type === "queue") status = "queued";
    var wait = q.wait_seconds == null ? t.noWait : q.wait_seconds < 90 ? t.soon : t.wait.replace("{m}", Math.ceil(q.wait_seconds / 60));
    hand([el("p", { role: "status", text: t.pos.replace("{n}", q.position) + " " + wait }),
      el("div", { class: "acts" }, [el("button", { type: "button", text: t.leave, onclick: leaveQueue })])],
    function () { showQueue(q); });
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
        req("POST", convPath(c, "/rating"), { score: n }, c.token).then(thanks, function (e) { error(errorText(e)); });
      } });
    });
    hand([el("p", { text: t.rate }), el("div", { class: "stars", role: "group", "aria-label": t.rate }, stars)], rating);
  }
  function thanks() { hand([el("p", { role: "status", text: t.thanks })], thanks); }
  // "Anna is typing…" with the dots; an agent without a name shown is "Agent is typing…".
  function agentTyping(on, name) {
    var old = ui && ui.log.querySelector(".agent-typing");
    if (old) old.remove();
    typingName = on ? name || null : undefined;
    if (!on || !ui) return;
    var line = name ? t.writing.replace("{name}", name) : t.someone;
    ui.log.append(el("div", { class: "msg them typing agent-typing", role: "status", "aria-label": line },
      [el("div", { class: "b" }, [el("span", { class: "tl", "aria-hidden": "true", text: line }),
        el("i", { "aria-hidden": "true" }), el("i", { "aria-hidden": "true" }), el("i", { "aria-hidden": "true" })])]));
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
  // Date and time in the shop's time zone, in the conversation's language.
  function when(iso) {
    var s = String(iso || "");
    var d = new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(s) ? s : s + "Z");
    if (isNaN(d)) return "--";
    try {
      return new Intl.DateTimeFormat(lang, { timeZone: cfg.time_zone || "UTC", dateStyle: "medium", timeStyle: "short" }).format(d);
    } catch (e) {
      return d.toISOString().slice(0, 16).replace("T", " ") + " UTC";
    }
  }
  // What the Markdown renderer shows, as clean text: bold and lists plain, links "text (url)".
  function plainLine(s) {
    return s.replace(/\\([\\`*_\[\]()<>#!|~])|\[((?:\\.|[^\]\n\\])+)\]\(([^)\s]+)\)|\*\*([^*\n]+)\*\*|\*([^*\n]+)\*/g,
      function (all, esc, label, href, bold, em) {
        if (esc != null) return esc;
        if (label != null) {
          var url = safeUrl(href);
          return url ? plainLine(label) + " (" + new URL(url, location.href).href + ")" : all;
        }
        return plainLine(bold != null ? bold : em);
      });
  }
  function plain(text) {
    return String(text).split(/\r?\n/).map(function (line) {
      var item = /^\s*- +(.*)$/.exec(line);
      return item ? "• " + plainLine(item[1]) : plainLine(line);
    }).join("\n");
  }
  function transcript() {
    var lines = [t.transcript.replace("{shop}", cfg.name || slug) +
      (msgs.length ? " · " + when(msgs[0].created_at) + " – " + when(msgs[msgs.length - 1].created_at) : ""), ""];
    msgs.forEach(function (m) {
      var name = m.sender === "agent" && m.author ? String(m.author) : who(m.sender);
      lines.push(when(m.created_at) + " " + name + ": " + plain(m.text));
      var options = (Array.isArray(m.buttons) ? m.buttons : []).map(function (b) { return String(b.label); });
      if (options.length) lines.push(t.options + ": " + options.join(" | "));
    });
    return lines.join("\n") + "\n";
  }
  function download(kind) {
    closeMenu(true);
    var now = new Date();
    var day = now.getFullYear() + "-" + pad(now.getMonth() + 1) + "-" + pad(now.getDate());
    var data = kind === "json"
      ? JSON.stringify({ tenant: slug, conversation: conv && conv.id, exported_at: now.toISOString(), messages: msgs }, null, 2)
      : transcript();
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
    composer();
    ui.mailInput.focus();
  }
  function endMail() {
    ui.mail.hidden = true;
    composer();
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
  // kind: "del" (erase on the server) or "fresh" (leave this one, start another).
  function ask(kind) {
    closeMenu(false);
    error("");
    ui.ok.hidden = true;
    endMail();
    ui.confirmKind = kind;
    ui.confirmText.textContent = kind === "del" ? t.ask : t.freshAsk;
    ui.confirmYes.textContent = kind === "del" ? t.yes : t.freshYes;
    ui.confirmYes.className = kind === "del" ? "danger" : "";
    ui.confirm.hidden = false;
    composer();
    ui.confirm.querySelector(".cancel").focus();
  }
  function endConfirm() {
    ui.confirm.hidden = true;
    composer();
  }
  // "New conversation": this one stays on the server (the shop still has it); here it is
  // forgotten, token and all, and the welcome shows again.
  function fresh() {
    endConfirm();
    if (sending) return;
    drop();
    failed = null;
    error("");
    ui.input.focus();
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
    var days = cfg.retention_days, parts = [];
    if (days) parts.push(t.privacy.replace("{n}", days));
    if (keepDays()) parts.push(t.kept.replace("{n}", keepDays()));
    ui.note.append(parts.join(" "));
    var url = cfg.privacy_policy_url;
    if (url && /^https?:\/\//i.test(url) && safeUrl(url)) {
      ui.note.append(parts.length ? " " : "", link(url, [t.policy]));
    }
    ui.note.hidden = !ui.note.textContent;
  }
  function open() {
    if (!ui) { wantOpen = true; return; }
    ui.w.classList.add("open");
    ui.panel.hidden = false;
    ui.launcher.setAttribute("aria-expanded", "true");
    clearUnread();
    if (conv && msgs.length) tell({ type: "seen", id: conv.id, seq: msgs[msgs.length - 1].seq });
    launcherLabel();
    fit();
    scrollDown();
    var field = ui.row.hidden ? ui.hand.querySelector("input, select, textarea, button") : ui.input;
    (field || ui.input).focus();
  }
  function close() {
    wantOpen = false;
    if (!ui || ui.panel.hidden) return;
    closeMenu(false);
    ui.w.classList.remove("open");
    ui.panel.hidden = true;
    ui.launcher.setAttribute("aria-expanded", "false");
    launcherLabel();
    ui.launcher.focus();
  }
  // The host covers the visual viewport (what the screen shows, pinch zoom and on-screen
  // keyboard included), not the layout viewport: a shop page wider than the phone widens the
  // latter, and position:fixed alone would then put the launcher off-screen.
  function fit() {
    if (!ui) return;
    var v = window.visualViewport;
    var box = v ? [v.offsetLeft, v.offsetTop, v.width, v.height] : [0, 0, window.innerWidth, window.innerHeight];
    ["left", "top", "width", "height"].forEach(function (side, i) {
      ui.host.style.setProperty(side, Math.round(box[i]) + "px", "important");
    });
    ui.w.classList.toggle("full", box[2] < 480);
  }
  // Tab goes round the open panel: header, log, message box, Send, then the header again
  // (Shift+Tab from the header reaches the launcher on a desktop). Full screen on a phone,
  // where the launcher is hidden, focus stays in the panel until it is closed.
  function focusables() {
    return Array.prototype.filter.call(
      ui.panel.querySelectorAll("button, a[href], input, select, textarea, [tabindex]"),
      function (n) { return n.tabIndex >= 0 && !n.disabled && n.getClientRects().length; });
  }
  function cycle(ev) {
    if (ev.key !== "Tab" || ev.defaultPrevented || !ui.menu.hidden) return;
    var list = focusables(), at = list.indexOf(ui.root.activeElement);
    if (!list.length) return;
    if (!ev.shiftKey && at === list.length - 1) { ev.preventDefault(); list[0].focus(); }
    else if (ev.shiftKey && at <= 0 && ui.w.classList.contains("full")) { ev.preventDefault(); list[list.length - 1].focus(); }
  }

  // The launcher comes last in the page, so it is the last tab stop. A skip link at the start
  // of the page (shown only while focused, as skip links are) reaches the chat first. It lives
  // in its own shadow root: the shop's styles cannot reach it, nor its styles the shop.
  var SKIP_CSS = ".skip{all:initial;position:fixed;left:8px;top:8px;z-index:2147483001;" +
    "transform:translateY(-300%);padding:10px 16px;border-radius:8px;background:var(--bd-p);" +
    "color:var(--bd-on);font:600 15px/1.2 system-ui,sans-serif;cursor:pointer}" +
    ".skip:focus{transform:none;outline:2px solid var(--bd-on);outline-offset:-5px;" +
    "box-shadow:0 0 0 2px #fff,0 2px 10px rgba(0,0,0,.35)}";
  function skipLink(label, widget) {
    var host = el("div", { "data-botdesk-skip": slug });
    [["all", "initial"], ["display", "block"], ["position", "fixed"], ["left", "0"], ["top", "0"],
      ["width", "0"], ["height", "0"], ["overflow", "visible"], ["z-index", "2147483001"],
      ["--bd-p", widget.style.getPropertyValue("--bd-p")], ["--bd-on", widget.style.getPropertyValue("--bd-on")],
      ["--bd-ink", widget.style.getPropertyValue("--bd-ink")]
    ].forEach(function (p) { host.style.setProperty(p[0], p[1], "important"); });
    var root = host.attachShadow({ mode: "open" });
    try {
      var sheet = new CSSStyleSheet();
      sheet.replaceSync(SKIP_CSS);
      root.adoptedStyleSheets = [sheet];
    } catch (e) {
      root.append(el("style", { text: SKIP_CSS }));
    }
    var button = label(el("button", { type: "button", class: "skip", onclick: function () { open(); } }), "text", "skip");
    root.append(button);
    document.body.prepend(host);
    return button;
  }

  function build() {
    var primary = hex(cfg.colors && cfg.colors.primary) || "#1f5f8b";
    var onWhite = contrast(primary, "#ffffff");
    var host = el("div", { "data-botdesk": slug });
    // Inline !important beats the shop's !important rules on the host element itself.
    [["all", "initial"], ["display", "block"], ["position", "fixed"], ["z-index", "2147483000"],
      ["left", "0"], ["top", "0"], ["width", "100%"], ["height", "100%"], ["pointer-events", "none"],
      ["overflow", "visible"], ["visibility", "visible"], ["opacity", "1"], ["transform", "none"],
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
    var u = { root: root, host: host, labels: [] };
    // Texts that follow the language (relabel): [element, attribute or "text", key or function].
    function L(node, attr, key) {
      u.labels.push([node, attr, key]);
      var text = typeof key === "function" ? key() : t[key];
      if (attr === "text") node.textContent = text; else node.setAttribute(attr, text);
      return node;
    }
    function name() { return cfg.name || t.title; }
    u.badge = el("span", { class: "badge", "aria-hidden": "true", hidden: true });
    u.launcher = el("button", {
      type: "button", class: "launcher", "aria-label": t.open, "aria-expanded": "false",
      "aria-controls": "bd-panel", onclick: function () { if (u.panel.hidden) open(); else close(); }
    }, [icon("chat"), u.badge]);
    u.peekWho = el("span", { class: "pw" });
    u.peekText = el("span");
    u.peek = el("div", { class: "peek", hidden: true }, [
      el("button", { type: "button", class: "pt", onclick: open }, [u.peekWho, u.peekText]),
      L(el("button", { type: "button", class: "icon", onclick: function () { u.peek.hidden = true; u.launcher.focus(); } }, [icon("close")]), "aria-label", "dismiss")
    ]);
    u.gear = L(el("button", {
      type: "button", class: "icon", "aria-haspopup": "menu",
      "aria-expanded": "false", "aria-controls": "bd-menu",
      onclick: function () { if (u.menu.hidden) openMenu(); else closeMenu(true); }
    }, [icon("gear")]), "aria-label", "menu");
    function item(key, fn) {
      return L(el("button", { type: "button", role: "menuitem", tabindex: "-1", onclick: fn }), "text", key);
    }
    u.menu = L(el("div", { id: "bd-menu", class: "menu", role: "menu", hidden: true, onkeydown: menuKeys }, [
      item("dlText", function () { download("txt"); }),
      item("dlJson", function () { download("json"); }),
      item("mail", askMail),
      item("person", function () { closeMenu(false); (conv ? Promise.resolve() : start()).then(function () { handover("POST"); }, function (e) { error(errorText(e)); }); }),
      item("fresh", function () { ask("fresh"); }),
      item("del", function () { ask("del"); })
    ]), "aria-label", "menu");
    u.log = L(el("div", { class: "log", role: "log", "aria-live": "polite", tabindex: "0" }), "aria-label", "messages");
    u.err = el("p", { class: "err", role: "alert", hidden: true });
    u.confirmText = el("p", { id: "bd-ask" });
    u.confirmYes = el("button", { type: "button", onclick: function () { if (u.confirmKind === "del") doDelete(); else fresh(); } });
    u.confirm = el("div", { class: "confirm", role: "group", "aria-labelledby": "bd-ask", hidden: true }, [
      u.confirmText, u.confirmYes,
      L(el("button", { type: "button", class: "cancel", onclick: function () { endConfirm(); u.gear.focus(); } }), "text", "no")
    ]);
    L(u.confirmText, "text", function () { return u.confirmKind === "del" ? t.ask : t.freshAsk; });
    L(u.confirmYes, "text", function () { return u.confirmKind === "del" ? t.yes : t.freshYes; });
    u.mailInput = el("input", {
      id: "bd-mail", type: "email", autocomplete: "email", maxlength: "254", required: "required"
    });
    u.mailSend = L(el("button", { type: "submit", "aria-disabled": "false" }), "text", "mailSend");
    u.mail = el("form", { class: "confirm mail", hidden: true, novalidate: "novalidate", onsubmit: doMail }, [
      L(el("label", { for: "bd-mail" }), "text", "mailLabel"), u.mailInput, u.mailSend,
      L(el("button", { type: "button", class: "cancel", onclick: function () { endMail(); u.gear.focus(); } }), "text", "no")
    ]);
    u.ok = el("p", { class: "ok", role: "status", hidden: true });
    u.hand = L(el("div", { class: "hand", role: "region", hidden: true }), "aria-label", "person");
    u.input = L(L(el("textarea", {
      rows: "1", maxlength: String(MAX),
      oninput: function () { grow(); typingOut(); },
      onkeydown: function (ev) {
        if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing) { ev.preventDefault(); submit(); }
      }
    }), "placeholder", "placeholder"), "aria-label", "placeholder");
    u.send = L(el("button", { type: "button", class: "send", "aria-disabled": "false", onclick: submit }), "text", "send");
    u.row = el("div", { class: "row" }, [u.input, u.send]);
    u.note = el("p", { class: "note" });
    u.panel = L(el("div", { id: "bd-panel", class: "panel", role: "dialog", tabindex: "-1", hidden: true, onkeydown: cycle }, [
      el("div", { class: "head" }, [
        L(el("div", { class: "title" }), "text", name), u.gear,
        L(el("button", { type: "button", class: "icon", onclick: close }, [icon("close")]), "aria-label", "close"),
        u.menu
      ]),
      u.log,
      el("div", { class: "foot" }, [u.hand, u.err, u.ok, u.confirm, u.mail, u.row, u.note])
    ]), "aria-label", name);
    u.w = el("div", { class: "w" + (cfg.position === "left" ? " left" : ""), lang: lang }, [u.launcher, u.peek, u.panel]);
    u.w.addEventListener("keydown", function (ev) {
      if (ev.key !== "Escape") return;
      if (!u.menu.hidden) closeMenu(true);
      else if (!u.confirm.hidden) { endConfirm(); u.gear.focus(); }
      else if (!u.mail.hidden) { endMail(); u.gear.focus(); }
      else if (!u.panel.hidden) close();
      else if (!u.peek.hidden) u.peek.hidden = true;
      else return;
      ev.stopPropagation();
    });
    root.append(u.w);
    document.body.append(host);
    u.skip = skipLink(L, host);
    ui = u;
    fit();
    var v = window.visualViewport;
    if (v) { v.addEventListener("resize", fit); v.addEventListener("scroll", fit); }
    window.addEventListener("resize", fit);
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
        conv = load();
        lang = pickLanguage();
        t = textsFor(lang);
        if (conv && conv.lang) setLang(conv.lang);
        build();
        tabs();
        if (conv) restore(); else live = true;
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
    window.addEventListener("focus", stopFlash);
    function gesture() { gestured = true; }
    document.addEventListener("pointerdown", gesture, true);
    document.addEventListener("keydown", gesture, true);
    // A shop's own "Chat with us" link, early in its page (say, among its skip links), opens
    // the chat, as the widget's own skip link does.
    document.addEventListener("click", function (ev) {
      var at = ev.target && ev.target.closest ? ev.target.closest("[data-botdesk-open]") : null;
      if (!at) return;
      ev.preventDefault();
      open();
    });
  }

  window.Botdesk = Object.freeze({ open: open, close: close, version: VERSION });
  if (document.body) init();
  else document.addEventListener("DOMContentLoaded", init);
})();
