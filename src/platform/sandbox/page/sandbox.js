// gridline sandbox page: a group chat over the sandbox JSON API and its live event stream.
// Plain JavaScript, no build step. Every text from the server is shown with textContent.
(function () {
  "use strict";

  const params = new URLSearchParams(location.search);
  const token = params.get("token") || "";
  const lang = params.get("lang") === "en" ? "en" : "zh";

  const TEXT = {
    zh: {
      bot: "网格助手", replying: "回复", original: "原消息", send_failed: "发送失败",
      press_failed: "操作失败", load_failed: "加载失败", connected: "实时连接正常",
      reconnecting: "连接中断，正在重连…", nobody: "（本群没有可选身份）", no_groups: "（没有沙盒群）",
      assignee: "负责人", reporter: "上报人", co_reporters: "也反映", location: "地点", urgent: "紧急", edited: "已编辑",
      you_are: "当前身份", rating: "评价", open_console: "打开控制台", ratings: "人次",
      private_chat: "与网格助手私聊（当前身份）", private_title: "与网格助手私聊",
      private_note: "私聊 · 统计等答复在群里提问时发到这里",
      photos: "照片", evidence: "办结凭证", attach: "发照片（输入框里的文字作为说明）",
      photo_failed: "照片读取失败",
    },
    en: {
      subtitle: "Sandbox · try the grid group-chat bot in a browser", group: "Group", persona: "I am",
      empty: "No messages yet. As a resident, report a problem, e.g. “the corridor light in block 3 is broken”.",
      replying: "Replying to", placeholder: "Type a message; Enter sends, Shift+Enter for a new line. Click a message to reply to it.",
      send: "Send", tickets: "Tickets in this group", refresh: "Refresh", no_tickets: "No tickets yet.",
      help_title: "How to play", help_1: "Pick a group, then who you are: resident, grid leader, deputy or coordinator.",
      help_2: "As a resident, describe a problem; the bot answers with a ticket card and notifies the grid leader.",
      help_3: "Switch to the leader: press 接单 on the card or reply 接单 to it; when fixed send “办结 number note”.",
      help_4: "Switch back to the resident to rate it; a coordinator sends 统计 for the numbers.",
      bot: "gridline bot", original: "original message", send_failed: "Not sent", press_failed: "Failed",
      load_failed: "Could not load", connected: "Live", reconnecting: "Disconnected, reconnecting…",
      nobody: "(no personas in this group)", no_groups: "(no sandbox groups)", assignee: "Assignee",
      reporter: "Reporter", co_reporters: "Also reported by", location: "Place", urgent: "Urgent", edited: "edited", you_are: "You are",
      rating: "Rating", open_console: "Open the console", ratings: "ratings",
      private_chat: "Private chat with the bot (as the persona)", private_title: "Private chat with the bot",
      private_note: "Private · answers asked for in a group (statistics …) arrive here",
      photos: "Photos", evidence: "evidence", attach: "Send a photo (the text typed is its caption)",
      photo_failed: "Could not read the photo",
    },
  };
  const t = (key) => (TEXT[lang] && TEXT[lang][key]) || TEXT.zh[key] || key;

  // Example messages per role, so a newcomer has something to try.
  const CHIPS = {
    resident: ["3栋2单元楼道灯坏了，晚上黑乎乎的", "#诉求 小区东门垃圾三天没人清运了", "我的诉求"],
    deputy: ["待办", "我的诉求"],
    leader: ["待办", "统计"],
    coordinator: ["统计", "待办"],
    admin: ["统计"],
  };

  const $ = (id) => document.getElementById(id);
  const el = (tag, cls, text) => {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  };

  const state = {
    roster: { groups: [], personas: [] },
    group: null,
    persona: null,
    messages: new Map(),
    lastId: 0,
    replyTo: null,
    source: null,
    ticketsTimer: null,
    epoch: 0,
  };

  function headers(json) {
    const h = {};
    if (json) h["Content-Type"] = "application/json";
    if (token) h["Authorization"] = "Bearer " + token;
    return h;
  }

  async function api(path, body) {
    const init = body === undefined
      ? { headers: headers(false) }
      : { method: "POST", headers: headers(true), body: JSON.stringify(body) };
    const res = await fetch(path, init);
    let data = null;
    try { data = await res.json(); } catch (_) { data = null; }
    if (!res.ok) {
      const msg = (data && data.message) || res.status + " " + res.statusText;
      throw new Error(msg);
    }
    return data;
  }

  function toast(text, isError) {
    const node = el("div", "toast" + (isError ? " error" : ""), text);
    $("toasts").appendChild(node);
    setTimeout(() => node.remove(), isError ? 6000 : 3500);
  }

  function translatePage() {
    if (lang === "zh") return;
    document.documentElement.lang = "en";
    document.querySelectorAll("[data-i18n]").forEach((n) => {
      const v = TEXT.en[n.dataset.i18n];
      if (v) n.textContent = v;
    });
    document.querySelectorAll("[data-i18n-placeholder]").forEach((n) => {
      const v = TEXT.en[n.dataset.i18nPlaceholder];
      if (v) n.placeholder = v;
    });
    document.querySelectorAll("[data-i18n-title]").forEach((n) => {
      const v = TEXT.en[n.dataset.i18nTitle];
      if (v) n.title = v;
    });
  }

  // The private thread of the current persona with the bot is the chat PRIVATE in the group
  // list; everything else is a group.
  const PRIVATE = "@private";
  const isPrivate = () => state.group === PRIVATE;
  const personaById = (id) => state.roster.personas.find((p) => p.id === id);
  const members = (groupId) => groupId === PRIVATE
    ? state.roster.personas
    : state.roster.personas.filter((p) => p.groups.includes(groupId));
  // The API path of the open chat.
  const chatPath = () => isPrivate()
    ? "/api/sandbox/private/" + encodeURIComponent(state.persona || "")
    : "/api/sandbox/groups/" + encodeURIComponent(state.group);

  function remember() {
    try {
      localStorage.setItem("gridline.sandbox", JSON.stringify({ group: state.group, persona: state.persona }));
    } catch (_) { /* private mode */ }
  }
  function recalled() {
    try { return JSON.parse(localStorage.getItem("gridline.sandbox") || "{}"); } catch (_) { return {}; }
  }

  function fillGroups() {
    const select = $("group-select");
    select.textContent = "";
    if (state.roster.groups.length === 0) {
      select.appendChild(el("option", null, t("no_groups")));
      return;
    }
    for (const g of state.roster.groups) {
      const opt = el("option", null, g.title || g.id);
      opt.value = g.id;
      select.appendChild(opt);
    }
    const own = el("option", null, t("private_chat"));
    own.value = PRIVATE;
    select.appendChild(own);
  }

  function fillPersonas(preferred) {
    const select = $("persona-select");
    select.textContent = "";
    const list = members(state.group);
    if (list.length === 0) {
      select.appendChild(el("option", null, t("nobody")));
      state.persona = null;
      return;
    }
    for (const p of list) {
      const opt = el("option", null, p.name + "（" + p.role_label + "）");
      opt.value = p.id;
      select.appendChild(opt);
    }
    const keep = list.find((p) => p.id === preferred)
      || list.find((p) => p.role === "resident") || list[0];
    state.persona = keep.id;
    select.value = keep.id;
  }

  function showWho() {
    const g = state.roster.groups.find((x) => x.id === state.group);
    $("chat-title").textContent = g ? g.title : (isPrivate() ? t("private_title") : "");
    $("chat-grid").textContent = g ? g.grid_name + " · " + g.grid : (isPrivate() ? t("private_note") : "");
    const p = personaById(state.persona);
    $("whoami").textContent = p ? t("you_are") + "：" + p.name + "（" + p.role_label + "）" : "";
    // Staff open the coordinator console as themselves (a one-time sign-in, as the bot's link).
    if (p && p.role !== "resident") {
      const q = new URLSearchParams({ as: p.id });
      if (token) q.set("token", token);
      const a = el("a", "open-console", t("open_console"));
      a.id = "open-console";
      a.href = "/console/sandbox?" + q.toString();
      a.target = "_blank";
      a.rel = "noopener";
      $("whoami").appendChild(document.createTextNode(" "));
      $("whoami").appendChild(a);
    }
    const chips = $("chips");
    chips.textContent = "";
    for (const text of (p && CHIPS[p.role]) || []) {
      const b = el("button", null, text);
      b.type = "button";
      b.addEventListener("click", () => { $("input").value = text; $("input").focus(); });
      chips.appendChild(b);
    }
    // Messages from the current persona sit on the right.
    for (const [id, m] of state.messages) {
      const node = document.querySelector('.msg[data-id="' + id + '"]');
      if (node) node.classList.toggle("mine", m.from === state.persona);
    }
  }

  function excerpt(text, n) {
    const flat = (text || "").replace(/\s+/g, " ");
    return flat.length > n ? flat.slice(0, n) + "…" : flat;
  }

  function displayName(m) { return m.from === "bot" ? t("bot") : m.name; }

  function renderMessage(m) {
    const wrap = el("div", "msg");
    wrap.dataset.id = String(m.id);
    wrap.dataset.from = m.from;
    if (m.from === "bot") wrap.classList.add("bot");
    if (m.from === state.persona) wrap.classList.add("mine");

    if (m.reply_to) {
      const target = state.messages.get(m.reply_to);
      const quote = el("div", "quote",
        target ? displayName(target) + "：" + excerpt(target.text, 40) : t("original"));
      quote.title = target ? target.text : "";
      quote.addEventListener("click", (ev) => { ev.stopPropagation(); jumpTo(m.reply_to); });
      wrap.appendChild(quote);
    }

    if (m.from === "bot") {
      const card = el("div", "card");
      const head = el("div", "card-head");
      head.appendChild(el("span", "bot-badge", "BOT"));
      head.appendChild(el("span", null, t("bot")));
      head.appendChild(el("span", "edited", formatTime(m.time)));
      if (m.edited) head.appendChild(el("span", "edited", "· " + t("edited")));
      card.appendChild(head);
      card.appendChild(el("div", "card-body", m.text));
      if (m.buttons && m.buttons.length) {
        const row = el("div", "buttons");
        for (const b of m.buttons) {
          const btn = el("button", null, b.label);
          btn.type = "button";
          btn.dataset.button = b.id;
          btn.addEventListener("click", (ev) => { ev.stopPropagation(); press(m.id, b.id, btn); });
          row.appendChild(btn);
        }
        card.appendChild(row);
      }
      wrap.appendChild(card);
    } else {
      const meta = el("div", "meta");
      meta.appendChild(el("span", null, m.name));
      const p = personaById(m.from);
      if (p) meta.appendChild(el("span", "role " + p.role, p.role_label));
      meta.appendChild(el("span", null, formatTime(m.time)));
      wrap.appendChild(meta);
      const bubble = el("div", "bubble", m.text);
      if (m.photo) {
        const img = document.createElement("img");
        img.className = "photo";
        img.src = m.photo;
        img.alt = t("photos");
        bubble.prepend(img);
      }
      wrap.appendChild(bubble);
    }
    wrap.addEventListener("click", () => setReply(m.id));
    return wrap;
  }

  function formatTime(ms) {
    const d = new Date(ms);
    const pad = (n) => String(n).padStart(2, "0");
    return pad(d.getHours()) + ":" + pad(d.getMinutes());
  }

  function addMessage(m) {
    if (state.messages.has(m.id)) return;
    state.messages.set(m.id, m);
    state.lastId = m.id;
    $("empty").hidden = true;
    const box = $("messages");
    const nearBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 120;
    box.appendChild(renderMessage(m));
    if (nearBottom || m.from === state.persona) box.scrollTop = box.scrollHeight;
    if (m.from === "bot") scheduleTickets(300);
  }

  function replaceMessage(m) {
    if (!state.messages.has(m.id)) return;
    state.messages.set(m.id, m);
    const old = document.querySelector('.msg[data-id="' + m.id + '"]');
    if (old) old.replaceWith(renderMessage(m));
    scheduleTickets(300);
  }

  function jumpTo(id) {
    const node = document.querySelector('.msg[data-id="' + id + '"]');
    if (!node) return;
    node.scrollIntoView({ block: "center", behavior: "smooth" });
    node.classList.remove("flash");
    void node.offsetWidth;
    node.classList.add("flash");
  }

  function setReply(id) {
    const m = id ? state.messages.get(id) : null;
    document.querySelectorAll(".msg.selected").forEach((n) => n.classList.remove("selected"));
    state.replyTo = m ? m.id : null;
    $("reply-bar").hidden = !m;
    if (m) {
      $("reply-name").textContent = displayName(m);
      $("reply-text").textContent = excerpt(m.text, 60);
      const node = document.querySelector('.msg[data-id="' + m.id + '"]');
      if (node) node.classList.add("selected");
      $("input").focus();
    }
  }

  async function send() {
    const input = $("input");
    const text = input.value.trim();
    if (!text || !state.group || !state.persona) return;
    const body = { from: state.persona, text };
    if (state.replyTo) body.reply_to = state.replyTo;
    $("send").disabled = true;
    try {
      await api(chatPath() + "/messages", body);
      input.value = "";
      setReply(null);
      await catchUp();
    } catch (e) {
      toast(t("send_failed") + "：" + e.message, true);
    } finally {
      $("send").disabled = false;
      input.focus();
    }
  }

  // A picked image, scaled to at most 1280 px on its longer side and sent as a JPEG data URL
  // (well under the request size limit), with what is typed in the box as its caption.
  function readPhoto(file) {
    return new Promise((resolve, reject) => {
      const reader = new FileReader();
      reader.onerror = () => reject(new Error(t("photo_failed")));
      reader.onload = () => {
        const img = new Image();
        img.onerror = () => reject(new Error(t("photo_failed")));
        img.onload = () => {
          const scale = Math.min(1, 1280 / Math.max(img.width, img.height, 1));
          const canvas = document.createElement("canvas");
          canvas.width = Math.max(1, Math.round(img.width * scale));
          canvas.height = Math.max(1, Math.round(img.height * scale));
          canvas.getContext("2d").drawImage(img, 0, 0, canvas.width, canvas.height);
          resolve(canvas.toDataURL("image/jpeg", 0.8));
        };
        img.src = reader.result;
      };
      reader.readAsDataURL(file);
    });
  }

  async function sendPhoto(file) {
    if (!file || !state.group || !state.persona) return;
    const input = $("input");
    try {
      const photo = await readPhoto(file);
      const body = { from: state.persona, text: input.value.trim(), photo };
      if (state.replyTo) body.reply_to = state.replyTo;
      await api(chatPath() + "/messages", body);
      input.value = "";
      setReply(null);
      await catchUp();
    } catch (e) {
      toast(t("send_failed") + "：" + e.message, true);
    } finally {
      $("photo").value = "";
    }
  }

  async function press(messageId, button, btn) {
    if (!state.persona) return;
    btn.disabled = true;
    try {
      await api(chatPath() + "/buttons",
        { from: state.persona, message_id: messageId, button });
    } catch (e) {
      toast(t("press_failed") + "：" + e.message, true);
    } finally {
      setTimeout(() => { btn.disabled = false; }, 800);
    }
  }

  // Reads whatever the live stream has not delivered yet (after our own post, or on reconnect).
  async function catchUp() {
    const epoch = state.epoch;
    const list = await api(chatPath() + "/messages?after=" + state.lastId);
    if (epoch !== state.epoch) return;
    for (const m of list) addMessage(m);
  }

  function connect() {
    if (state.source) state.source.close();
    const q = new URLSearchParams({ after: String(state.lastId) });
    if (token) q.set("token", token);
    const src = new EventSource(chatPath() + "/events?" + q);
    state.source = src;
    const conn = $("conn");
    src.onopen = () => { conn.dataset.state = "on"; conn.title = t("connected"); };
    src.onerror = () => { conn.dataset.state = "retry"; conn.title = t("reconnecting"); };
    src.addEventListener("message", (ev) => { try { addMessage(JSON.parse(ev.data)); } catch (_) { /* ignore */ } });
    src.addEventListener("edit", (ev) => { try { replaceMessage(JSON.parse(ev.data)); } catch (_) { /* ignore */ } });
    src.addEventListener("toast", (ev) => {
      try {
        const data = JSON.parse(ev.data);
        if (data.to === state.persona) toast(data.text, false);
      } catch (_) { /* ignore */ }
    });
  }

  async function openGroup(groupId, preferredPersona) {
    state.epoch += 1;
    const epoch = state.epoch;
    state.group = groupId;
    $("group-select").value = groupId;
    fillPersonas(preferredPersona);
    state.messages.clear();
    state.lastId = 0;
    setReply(null);
    const box = $("messages");
    box.querySelectorAll(".msg").forEach((n) => n.remove());
    $("empty").hidden = false;
    showWho();
    remember();
    try {
      const list = await api(chatPath() + "/messages");
      if (epoch !== state.epoch) return;
      for (const m of list) addMessage(m);
      box.scrollTop = box.scrollHeight;
    } catch (e) {
      toast(t("load_failed") + "：" + e.message, true);
    }
    connect();
    loadTickets();
  }

  function scheduleTickets(delay) {
    clearTimeout(state.ticketsTimer);
    state.ticketsTimer = setTimeout(loadTickets, delay);
  }

  async function loadTickets() {
    clearTimeout(state.ticketsTimer);
    state.ticketsTimer = setTimeout(loadTickets, 15000);
    if (!state.group) return;
    const epoch = state.epoch;
    let list;
    try {
      // A private chat has no tickets of its own.
      list = isPrivate() ? [] : await api(chatPath() + "/tickets");
    } catch (_) { return; }
    if (epoch !== state.epoch) return;
    const box = $("tickets");
    box.textContent = "";
    if (list.length === 0) {
      box.appendChild(el("div", "empty", lang === "en" ? TEXT.en.no_tickets : "暂无工单。"));
      return;
    }
    for (const tk of list) {
      const item = el("div", "ticket");
      item.dataset.ticket = String(tk.id);
      item.dataset.state = tk.state;
      const head = el("div", "t-head");
      head.appendChild(el("span", "t-id", "#" + tk.no));
      head.appendChild(el("span", "state " + tk.state, lang === "en" ? tk.state : tk.state_label));
      head.appendChild(el("span", null, lang === "en" ? tk.category : tk.category_label));
      if (tk.urgency === "urgent") head.appendChild(el("span", "urgent", t("urgent")));
      item.appendChild(head);
      item.appendChild(el("div", "t-body", tk.body));
      const meta = [];
      if (tk.location) meta.push(t("location") + "：" + tk.location);
      meta.push(t("reporter") + "：" + tk.reporter);
      if (tk.co_reporters && tk.co_reporters.length) meta.push(t("co_reporters") + "：" + tk.co_reporters.join("、"));
      if (tk.assignee_name) meta.push(t("assignee") + "：" + tk.assignee_name);
      if (tk.rating) {
        let r = t("rating") + "：" + (lang === "en" ? tk.rating : tk.rating_label);
        if (tk.ratings > 1) r += "（" + tk.ratings + " " + t("ratings") + "）";
        meta.push(r);
      }
      if (tk.photos) {
        let p = t("photos") + "：" + tk.photos;
        if (tk.evidence) p += "（" + t("evidence") + " " + tk.evidence + "）";
        meta.push(p);
      }
      item.appendChild(el("div", "t-meta", meta.join(" · ")));
      box.appendChild(item);
    }
  }

  async function start() {
    translatePage();
    $("composer").addEventListener("submit", (ev) => { ev.preventDefault(); send(); });
    $("photo").addEventListener("change", (ev) => sendPhoto(ev.target.files && ev.target.files[0]));
    $("input").addEventListener("keydown", (ev) => {
      if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing) { ev.preventDefault(); send(); }
    });
    $("reply-cancel").addEventListener("click", () => setReply(null));
    $("tickets-refresh").addEventListener("click", loadTickets);
    $("group-select").addEventListener("change", (ev) => openGroup(ev.target.value, state.persona));
    $("persona-select").addEventListener("change", (ev) => {
      state.persona = ev.target.value;
      remember();
      // A private chat is the persona's own: another persona has another thread.
      if (isPrivate()) openGroup(PRIVATE, state.persona);
      else showWho();
    });
    try {
      state.roster = await api("/api/sandbox/roster");
    } catch (e) {
      toast(t("load_failed") + "：" + e.message, true);
      return;
    }
    fillGroups();
    if (state.roster.groups.length === 0) return;
    // ?group=…&as=… picks the group and persona (links in docs, browser tests).
    const saved = recalled();
    const wanted = params.get("group") || saved.group;
    const group = wanted === PRIVATE ? { id: PRIVATE }
      : state.roster.groups.find((g) => g.id === wanted) || state.roster.groups[0];
    await openGroup(group.id, params.get("as") || saved.persona);
  }

  start();
})();
