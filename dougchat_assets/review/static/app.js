// dougchat review: check and correct a VOD's chat -> audio offset curve.
// Plain JS, no build step, no external assets (the tool runs offline).
//
// The page keeps a *working curve* (knots) in memory.  Chat is fetched from the server in
// windows around "now" and placed at the audio time the working curve gives each message, so
// a nudge re-flows it at once.  Saving posts the full working curve and the flags; the server
// writes warehouse/overrides/<vod_id>.toml.
"use strict";

// ---- the curve contract (mirror of dougchat_assets/align/curve.py and review/curve.py) ----
// Knots sorted by chat_utc_ms; linear between consecutive knots; beyond the ends the first
// two / last two knots' line; one knot means slope 1; a discontinuity is two knots 1 ms apart.

function normalizeKnots(knots) {
  const byTime = new Map();
  for (const k of knots) {
    const t = Math.round(Number(k.chat_utc_ms));
    byTime.set(t, { chat_utc_ms: t, audio_s: Number(k.audio_s) });
  }
  return [...byTime.values()].sort((a, b) => a.chat_utc_ms - b.chat_utc_ms);
}

function segmentIndex(knots, t) {
  // largest i with knots[i].chat_utc_ms <= t, clipped to [0, n-2] (bisect right)
  let lo = 0;
  let hi = knots.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (knots[mid].chat_utc_ms <= t) lo = mid + 1;
    else hi = mid;
  }
  return Math.min(Math.max(lo - 1, 0), knots.length - 2);
}

function mapChatToAudio(knots, t) {
  if (knots.length === 0) return NaN;
  if (knots.length === 1) return knots[0].audio_s + (t - knots[0].chat_utc_ms) / 1000.0;
  const i = segmentIndex(knots, t);
  const a = knots[i];
  const b = knots[i + 1];
  return a.audio_s + (t - a.chat_utc_ms) * (b.audio_s - a.audio_s) / (b.chat_utc_ms - a.chat_utc_ms);
}

function mapAudioToChat(knots, s) {
  if (knots.length === 0) return NaN;
  if (knots.length === 1) return knots[0].chat_utc_ms + (s - knots[0].audio_s) * 1000.0;
  const last = knots.length - 2;
  let flat = null;
  let falling = null;
  for (let i = 0; i <= last; i++) {
    const c0 = knots[i].chat_utc_ms, a0 = knots[i].audio_s;
    const c1 = knots[i + 1].chat_utc_ms, a1 = knots[i + 1].audio_s;
    const lo = i === 0 ? -Infinity : c0;
    const hi = i === last ? Infinity : c1;
    if (a1 === a0) {
      if (s === a0 && flat === null) flat = c0;
      continue;
    }
    const chat = c0 + (s - a0) * (c1 - c0) / (a1 - a0);
    if (!(lo <= chat && chat <= hi)) continue;
    if (a1 > a0) return chat;
    if (falling === null) falling = chat;
  }
  if (flat !== null) return flat;
  if (falling !== null) return falling;
  let best = knots[0];
  for (const k of knots) {
    if (Math.abs(k.audio_s - s) < Math.abs(best.audio_s - s)) best = k;
  }
  return best.chat_utc_ms;
}

// ---- state ---------------------------------------------------------------------------------
const WINDOW = 300;          // messages fetched either side of "now"
const ANCHOR_S = 3.0;        // nudges within this much audio time keep moving the same knot
const SNAP_MS = 500;         // a nudge this close (chat ms) to an existing knot moves that knot
const HISTORY_MAX = 200;

const state = {
  vods: [],
  defaultReviewer: "local",
  vodId: null,
  detail: null,
  estimateKnots: [],
  baseKnots: [],
  baseFlags: [],
  knots: [],
  flags: [],
  history: [],
  dirty: false,
  nudgeAnchor: null,
  markStart: null,
  markEnd: null,
  messages: [],       // current window, each {msg_id, chat_utc_ms, user, body, msg_type, audio_s}
  rows: [],           // <li> per message, in audio-time order
  rowTimes: [],       // audio time per row (sorted)
  hasMoreBefore: false,
  hasMoreAfter: false,
  chatSeq: 0,
  chatLoading: false,
  lastCenter: null,
  currentIndex: -2,
  plot: null,
};

const $ = (id) => document.getElementById(id);
const audio = $("player");
const chatList = $("chat");

// ---- formatting ------------------------------------------------------------------------------
function fmtAudio(s) {
  if (!Number.isFinite(s)) return "–";
  const sign = s < 0 ? "−" : "";
  const v = Math.abs(s);
  const h = Math.floor(v / 3600);
  const m = Math.floor((v % 3600) / 60);
  const sec = (v % 60).toFixed(1).padStart(4, "0");
  return sign + (h ? `${h}:${String(m).padStart(2, "0")}` : `${m}`) + `:${sec}`;
}
function fmtClock(ms) {
  if (!Number.isFinite(ms)) return "–";
  return new Date(Math.round(ms)).toISOString().slice(11, 23) + "Z";
}
function fmtOffset(s) {
  if (!Number.isFinite(s)) return "–";
  return (s >= 0 ? "+" : "−") + Math.abs(s).toFixed(2) + " s";
}
const round6 = (x) => Math.round(x * 1e6) / 1e6;
const clone = (list) => list.map((x) => ({ ...x }));

function referenceMs() {
  // chat time 0 of the plot: the VOD start, else the first chat message, else the first knot
  const d = state.detail;
  if (d && d.vod.started_at_utc_ms !== null) return d.vod.started_at_utc_ms;
  if (d && d.chat.first_ms !== null) return d.chat.first_ms;
  return state.knots.length ? state.knots[0].chat_utc_ms : 0;
}
const offsetAt = (knots, c) => mapChatToAudio(knots, c) - (c - referenceMs()) / 1000.0;

// ---- server --------------------------------------------------------------------------------
async function fetchJSON(url, options = {}) {
  for (let attempt = 0; ; attempt++) {
    const response = await fetch(url, options);
    if (response.status === 503 && attempt < 10) {
      showBanner("The warehouse is busy (a pipeline run is writing); retrying…");
      await new Promise((resolve) => setTimeout(resolve, 1000));
      continue;
    }
    const body = await response.json().catch(() => ({ error: response.statusText }));
    if (!response.ok) throw new Error(body.error || `${response.status} ${response.statusText}`);
    hideBanner("busy");
    return body;
  }
}

function showBanner(text, kind = "busy") {
  const banner = $("banner");
  banner.textContent = text;
  banner.dataset.kind = kind;
  banner.hidden = false;
}
function hideBanner(kind) {
  const banner = $("banner");
  if (!kind || banner.dataset.kind === kind) banner.hidden = true;
}

// ---- VOD picker + loading --------------------------------------------------------------------
async function init() {
  let listing;
  try {
    listing = await fetchJSON("/api/vods");
  } catch (error) {
    showBanner(`Could not list VODs: ${error.message}`, "error");
    return;
  }
  state.vods = listing.vods;
  state.defaultReviewer = listing.reviewer || "local";
  const select = $("vod-select");
  select.replaceChildren();
  for (const v of state.vods) {
    const option = document.createElement("option");
    option.value = v.vod_id;
    option.textContent = vodLabel(v);
    select.append(option);
  }
  select.disabled = state.vods.length < 2;
  if (!state.vods.length) {
    showBanner("No VODs in this warehouse yet: run `dougchat materialize` (or `dougchat demo`) first.", "error");
    return;
  }
  const wanted = new URLSearchParams(location.search).get("vod");
  const ids = state.vods.map((v) => v.vod_id);
  const first = ids.includes(wanted) ? wanted : listing.default_vod || ids[0];
  select.value = first;
  select.addEventListener("change", () => {
    if (state.dirty && !confirm("Discard unsaved changes to this VOD's curve?")) {
      select.value = state.vodId;
      return;
    }
    loadVod(select.value);
  });
  await loadVod(first);
}

function vodLabel(v) {
  return v.vod_id + (v.title ? ` — ${v.title}` : "") + (v.has_override ? "  [override]" : "");
}

async function loadVod(vodId) {
  let detail;
  try {
    detail = await fetchJSON(`/api/vods/${encodeURIComponent(vodId)}`);
  } catch (error) {
    showBanner(`Could not load ${vodId}: ${error.message}`, "error");
    return;
  }
  hideBanner();
  state.vodId = vodId;
  state.detail = detail;
  history.replaceState(null, "", `?vod=${encodeURIComponent(vodId)}`);
  state.estimateKnots = detail.estimate ? normalizeKnots(detail.estimate.knots) : [];
  const fromOverride = detail.override !== null;
  state.baseKnots = fromOverride ? normalizeKnots(detail.override.knots) : clone(state.estimateKnots);
  state.baseFlags = fromOverride ? clone(detail.override.flags) : [];
  state.knots = clone(state.baseKnots);
  state.flags = clone(state.baseFlags);
  state.history = [];
  state.nudgeAnchor = null;
  state.markStart = state.markEnd = null;
  state.messages = [];
  state.rows = [];
  state.rowTimes = [];
  state.currentIndex = -2;
  state.lastCenter = null;
  chatList.replaceChildren();
  $("reviewer").value = (fromOverride && detail.override.reviewer) || state.defaultReviewer;
  $("note").value = fromOverride ? detail.override.note : "";
  $("save-status").textContent = "";
  $("use-estimate").hidden = !(fromOverride && state.estimateKnots.length);
  const v = detail.vod;
  $("vod-title").textContent = [v.title, v.channel].filter(Boolean).join(" · ");
  renderBadge();
  setDirty(false);
  if (detail.override_error) showBanner(`The override file is invalid and was ignored: ${detail.override_error}`, "error");
  else if (!state.knots.length) showBanner("No offset curve and no chat time to start from: nothing to align.", "error");
  else if (detail.estimate && detail.estimate.source === "default" && !fromOverride)
    showBanner("No offset_curve for this VOD yet: showing the default (audio starts at the VOD start, slope 1).", "info");
  if (detail.audio_url) {
    audio.src = detail.audio_url;
  } else {
    audio.removeAttribute("src");
    audio.load(); // drop the previous VOD's media
    showBanner(`No audio file for ${vodId} (materialize vod_audio first).`, "error");
  }
  renderCurve();
  renderFlags();
  await fetchChat(chatTimeNow(), true);
}

function renderBadge() {
  const badge = $("curve-badge");
  const d = state.detail;
  if (d.override) {
    badge.className = "badge override";
    badge.textContent = `override · saved ${d.override.saved_at} by ${d.override.reviewer}`;
  } else if (d.estimate) {
    badge.className = `badge ${d.estimate.source === "default" ? "default" : "estimate"}`;
    const conf = d.estimate.confidence === null ? "" : ` · confidence ${d.estimate.confidence.toFixed(2)}`;
    const method = d.estimate.method ? ` (${d.estimate.method})` : "";
    badge.textContent = `${d.estimate.source}${method}${conf}`;
  } else {
    badge.className = "badge default";
    badge.textContent = "no curve";
  }
}

function setDirty(dirty) {
  state.dirty = dirty;
  $("dirty").hidden = !dirty;
}

// ---- chat window -------------------------------------------------------------------------------
function chatTimeNow() {
  if (!state.knots.length) return state.detail && state.detail.chat.first_ms !== null ? state.detail.chat.first_ms : 0;
  return mapAudioToChat(state.knots, audio.currentTime || 0);
}

async function fetchChat(center, force = false) {
  if (!state.vodId || !Number.isFinite(center)) return;
  if (state.chatLoading && !force) return;
  const seq = ++state.chatSeq;
  state.chatLoading = true;
  state.lastCenter = center;
  const url = `/api/vods/${encodeURIComponent(state.vodId)}/chat?around_ms=${Math.round(center)}` +
    `&before=${WINDOW}&after=${WINDOW}`;
  try {
    const data = await fetchJSON(url);
    if (seq !== state.chatSeq) return; // a newer request (or another VOD) superseded this one
    state.messages = data.messages;
    state.hasMoreBefore = data.has_more_before;
    state.hasMoreAfter = data.has_more_after;
    renderChat();
  } catch (error) {
    showBanner(`Could not load chat: ${error.message}`, "error");
  } finally {
    if (seq === state.chatSeq) state.chatLoading = false;
  }
}

function maybeRefetch(center) {
  // Page when "now" moves into the outer quarter of the loaded window (or out of it).
  const m = state.messages;
  if (state.chatLoading || !Number.isFinite(center)) return;
  if (!m.length) {
    if (state.lastCenter === null || Math.abs(center - state.lastCenter) > 30000) fetchChat(center);
    return;
  }
  const low = m[Math.floor(m.length / 4)].chat_utc_ms;
  const high = m[Math.floor((3 * m.length) / 4)].chat_utc_ms;
  if ((center < low && state.hasMoreBefore) || (center > high && state.hasMoreAfter)) fetchChat(center);
}

function flagAt(chatMs) {
  return state.flags.some((f) => f.chat_utc_ms_start <= chatMs && chatMs <= f.chat_utc_ms_end);
}

function renderChat() {
  const duration = Number.isFinite(audio.duration) ? audio.duration : (state.detail.vod.audio_duration_s ?? Infinity);
  const placed = state.messages.map((m, i) => ({ m, i, s: mapChatToAudio(state.knots, m.chat_utc_ms) }));
  placed.sort((x, y) => x.s - y.s || x.i - y.i);
  const fragment = document.createDocumentFragment();
  if (state.hasMoreBefore) fragment.append(edgeNote("earlier messages load as you seek back"));
  state.rows = [];
  state.rowTimes = [];
  for (const { m, s } of placed) {
    const li = document.createElement("li");
    li.className = `type-${m.msg_type}`;
    if (s < 0 || s > duration) li.classList.add("outside");
    if (flagAt(m.chat_utc_ms)) li.classList.add("flagged");
    li.dataset.chatMs = String(m.chat_utc_ms);
    li.dataset.audioS = String(round6(s));
    li.dataset.msgId = m.msg_id;
    li.title = `sent ${fmtClock(m.chat_utc_ms)} (UTC)`;
    const t = document.createElement("span");
    t.className = "t";
    t.textContent = fmtAudio(s);
    const u = document.createElement("span");
    u.className = "u";
    u.textContent = m.user;
    const b = document.createElement("span");
    b.className = "b";
    b.textContent = m.body; // chat is untrusted: text only, never HTML
    li.append(t, u, b);
    fragment.append(li);
    state.rows.push(li);
    state.rowTimes.push(s);
  }
  if (state.hasMoreAfter) fragment.append(edgeNote("later messages load as you play on"));
  chatList.replaceChildren(fragment);
  const total = state.detail.chat.count;
  $("chat-count").textContent = `${state.messages.length} of ${total} messages loaded`;
  state.currentIndex = -2;
  updateNow();
}

function edgeNote(text) {
  const li = document.createElement("li");
  li.className = "edge";
  li.textContent = `… ${text}`;
  return li;
}

function lastRowAtOrBefore(t) {
  let lo = 0;
  let hi = state.rowTimes.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (state.rowTimes[mid] <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}

function updateNow() {
  const t = audio.currentTime || 0;
  const chat = chatTimeNow();
  $("ro-audio").textContent = fmtAudio(t);
  $("ro-chat").textContent = fmtClock(chat);
  $("ro-offset").textContent = state.knots.length ? fmtOffset(offsetAt(state.knots, chat)) : "–";
  const index = lastRowAtOrBefore(t);
  if (index !== state.currentIndex) {
    // only rows between the old and the new "now" change state (all of them after a re-render)
    const full = state.currentIndex < -1;
    const lo = full ? 0 : Math.max(0, Math.min(index, state.currentIndex));
    const hi = full ? state.rows.length - 1 : Math.min(state.rows.length - 1, Math.max(index, state.currentIndex));
    for (let i = lo; i <= hi; i++) {
      const row = state.rows[i];
      row.classList.toggle("current", i === index);
      row.classList.toggle("future", i > index);
    }
    state.currentIndex = index;
  }
  if ($("follow").checked) scrollToRow(index);
  movePlotMarker(chat);
  maybeRefetch(chat);
}

function scrollToRow(index) {
  if (index < 0 || !state.rows.length) {
    chatList.scrollTop = 0;
    return;
  }
  const row = state.rows[index];
  // the current message sits 60% down the list: context before it, what comes next below it
  chatList.scrollTop = Math.max(0, row.offsetTop + row.offsetHeight / 2 - chatList.clientHeight * 0.6);
}

// ---- editing the curve ---------------------------------------------------------------------------
function pushHistory() {
  state.history.push({ knots: clone(state.knots), flags: clone(state.flags) });
  if (state.history.length > HISTORY_MAX) state.history.shift();
}

function curveChanged() {
  setDirty(true);
  renderCurve();
  renderFlags();
  renderChat();
  // re-center the chat window if the correction moved "now" outside the loaded messages
  const center = chatTimeNow();
  const m = state.messages;
  if (!m.length) return;
  if (center < m[0].chat_utc_ms || center > m[m.length - 1].chat_utc_ms) fetchChat(center, true);
}

function nudge(delta) {
  if (!state.knots.length) return;
  const t = audio.currentTime || 0;
  pushHistory();
  const knots = clone(state.knots);
  let target = null;
  const anchor = state.nudgeAnchor;
  if (anchor && Math.abs(t - anchor.audioPos) <= ANCHOR_S) {
    target = knots.find((k) => k.chat_utc_ms === anchor.chatMs) || null;
  }
  if (!target) {
    const c = Math.round(mapAudioToChat(state.knots, t));
    for (const k of knots) {
      if (Math.abs(k.chat_utc_ms - c) <= SNAP_MS &&
          (!target || Math.abs(k.chat_utc_ms - c) < Math.abs(target.chat_utc_ms - c))) target = k;
    }
    if (!target) {
      target = { chat_utc_ms: c, audio_s: mapChatToAudio(state.knots, c) };
      knots.push(target);
    }
  }
  target.audio_s = round6(target.audio_s + delta);
  state.knots = normalizeKnots(knots);
  state.nudgeAnchor = { audioPos: t, chatMs: target.chat_utc_ms };
  curveChanged();
}

function shiftAll(delta) {
  if (!state.knots.length || !Number.isFinite(delta) || delta === 0) return;
  pushHistory();
  state.knots = state.knots.map((k) => ({ chat_utc_ms: k.chat_utc_ms, audio_s: round6(k.audio_s + delta) }));
  curveChanged();
}

function undo() {
  const last = state.history.pop();
  if (!last) return;
  state.knots = last.knots;
  state.flags = last.flags;
  state.nudgeAnchor = null;
  curveChanged();
  if (!state.history.length && sameCurve(state.knots, state.baseKnots)) setDirty(false);
}

function revert() {
  pushHistory();
  state.knots = clone(state.baseKnots);
  state.flags = clone(state.baseFlags);
  state.nudgeAnchor = null;
  curveChanged();
  setDirty(false);
}

function useEstimate() {
  pushHistory();
  state.knots = clone(state.estimateKnots);
  state.nudgeAnchor = null;
  curveChanged();
}

function sameCurve(a, b) {
  return a.length === b.length && a.every((k, i) => k.chat_utc_ms === b[i].chat_utc_ms && k.audio_s === b[i].audio_s);
}

// ---- flags -----------------------------------------------------------------------------------------
function markFlag(which) {
  if (!state.knots.length) return;
  const c = Math.round(chatTimeNow());
  if (which === "start") state.markStart = c;
  else state.markEnd = c;
  renderPending();
}

function renderPending() {
  const parts = [];
  if (state.markStart !== null) parts.push(`start ${fmtAudio(mapChatToAudio(state.knots, state.markStart))}`);
  if (state.markEnd !== null) parts.push(`end ${fmtAudio(mapChatToAudio(state.knots, state.markEnd))}`);
  $("flag-pending").textContent = parts.length ? parts.join(" · ") : "mark start and end around the doubtful part";
}

function addFlag() {
  if (!state.knots.length) return;
  const now = Math.round(chatTimeNow());
  const start = state.markStart ?? now;
  const end = state.markEnd ?? now;
  if (start === end) {
    // a flag covers a stretch of chat: the server refuses an empty one
    $("flag-pending").textContent = state.markStart === null ? "mark a start first ([)" : "mark an end away from the start (])";
    return;
  }
  pushHistory();
  state.flags.push({
    chat_utc_ms_start: Math.min(start, end),
    chat_utc_ms_end: Math.max(start, end),
    note: $("flag-note").value.trim(),
  });
  state.flags.sort((a, b) => a.chat_utc_ms_start - b.chat_utc_ms_start || a.chat_utc_ms_end - b.chat_utc_ms_end);
  state.markStart = state.markEnd = null;
  $("flag-note").value = "";
  curveChanged();
}

function renderFlags() {
  const list = $("flag-list");
  list.replaceChildren();
  state.flags.forEach((f, index) => {
    const li = document.createElement("li");
    const range = document.createElement("span");
    range.className = "range";
    const s0 = mapChatToAudio(state.knots, f.chat_utc_ms_start);
    range.textContent = `${fmtAudio(s0)} – ${fmtAudio(mapChatToAudio(state.knots, f.chat_utc_ms_end))}`;
    const note = document.createElement("span");
    note.className = "note";
    note.textContent = f.note || "(no note)";
    const go = document.createElement("button");
    go.type = "button";
    go.textContent = "go";
    go.addEventListener("click", () => seek(s0));
    const remove = document.createElement("button");
    remove.type = "button";
    remove.textContent = "×";
    remove.title = "remove flag";
    remove.addEventListener("click", () => {
      pushHistory();
      state.flags.splice(index, 1);
      curveChanged();
    });
    li.append(range, note, go, remove);
    list.append(li);
  });
  renderPending();
}

// ---- saving ----------------------------------------------------------------------------------------
async function save() {
  if (!state.vodId || !state.knots.length) return;
  const status = $("save-status");
  status.className = "";
  status.textContent = "saving…";
  const payload = {
    vod_id: state.vodId,
    reviewer: $("reviewer").value.trim() || state.defaultReviewer,
    note: $("note").value,
    knots: state.knots.map((k) => ({ chat_utc_ms: k.chat_utc_ms, audio_s: k.audio_s })),
    flags: state.flags.map((f) => ({ chat_utc_ms_start: f.chat_utc_ms_start, chat_utc_ms_end: f.chat_utc_ms_end, note: f.note })),
  };
  try {
    const result = await fetchJSON(`/api/vods/${encodeURIComponent(state.vodId)}/override`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(payload),
    });
    state.detail.override = result.override;
    state.baseKnots = normalizeKnots(result.override.knots);
    state.baseFlags = clone(result.override.flags);
    $("use-estimate").hidden = !state.estimateKnots.length;
    renderBadge();
    setDirty(false);
    status.textContent = `saved ${result.path} at ${result.saved_at}; re-materialize offset_curve to apply it`;
    status.dataset.savedAt = result.saved_at;
    const entry = state.vods.find((v) => v.vod_id === state.vodId);
    if (entry && !entry.has_override) {
      entry.has_override = true;
      const option = [...$("vod-select").options].find((o) => o.value === state.vodId);
      if (option) option.textContent = vodLabel(entry);
    }
  } catch (error) {
    status.className = "error";
    status.textContent = `not saved: ${error.message}`;
  }
}

// ---- curve plot (SVG) --------------------------------------------------------------------------------
const SVG_NS = "http://www.w3.org/2000/svg";
const PLOT = { w: 640, h: 220, left: 52, right: 12, top: 12, bottom: 30 };

function svg(name, attrs = {}, parent = null) {
  const el = document.createElementNS(SVG_NS, name);
  for (const [key, value] of Object.entries(attrs)) el.setAttribute(key, String(value));
  if (parent) parent.append(el);
  return el;
}

function niceStep(span, target) {
  const raw = span / target;
  const power = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 5, 10]) if (m * power >= raw) return m * power;
  return 10 * power;
}

function renderCurve() {
  const root = $("curve");
  root.replaceChildren();
  state.plot = null;
  const knots = state.knots;
  if (!knots.length) {
    svg("text", { x: PLOT.w / 2, y: PLOT.h / 2, "text-anchor": "middle", class: "empty" }, root).textContent = "no curve";
    return;
  }
  const d = state.detail;
  const xsAll = knots.map((k) => k.chat_utc_ms).concat(state.estimateKnots.map((k) => k.chat_utc_ms));
  if (d.chat.first_ms !== null) xsAll.push(d.chat.first_ms, d.chat.last_ms);
  const duration = d.vod.audio_duration_s;
  if (Number.isFinite(duration)) xsAll.push(mapAudioToChat(knots, 0), mapAudioToChat(knots, duration));
  let x0 = Math.min(...xsAll);
  let x1 = Math.max(...xsAll);
  if (x1 - x0 < 2000) { x0 -= 30000; x1 += 30000; }
  const curves = [{ knots, cls: "curve-line" }];
  if (state.estimateKnots.length && !sameCurve(state.estimateKnots, knots)) {
    curves.unshift({ knots: state.estimateKnots, cls: "estimate-line" });
  }
  const pointsOf = (ks) => [x0, ...ks.map((k) => k.chat_utc_ms).filter((c) => c > x0 && c < x1), x1]
    .map((c) => [c, offsetAt(ks, c)]);
  const series = curves.map((c) => ({ ...c, points: pointsOf(c.knots) }));
  const ys = series.flatMap((s) => s.points.map((p) => p[1]));
  let y0 = Math.min(...ys);
  let y1 = Math.max(...ys);
  if (y1 - y0 < 2) { const mid = (y0 + y1) / 2; y0 = mid - 1; y1 = mid + 1; }
  const pad = (y1 - y0) * 0.08;
  y0 -= pad; y1 += pad;
  const sx = (c) => PLOT.left + ((c - x0) / (x1 - x0)) * (PLOT.w - PLOT.left - PLOT.right);
  const sy = (o) => PLOT.top + ((y1 - o) / (y1 - y0)) * (PLOT.h - PLOT.top - PLOT.bottom);
  state.plot = { x0, x1, sx, sy };

  // flagged segments
  for (const f of state.flags) {
    const a = sx(Math.max(x0, f.chat_utc_ms_start));
    const b = sx(Math.min(x1, f.chat_utc_ms_end));
    svg("rect", { x: a, y: PLOT.top, width: Math.max(2, b - a), height: PLOT.h - PLOT.top - PLOT.bottom, class: "flag-band" }, root);
  }
  // grid + ticks
  const ref = referenceMs();
  const xStep = niceStep((x1 - x0) / 1000, 6) * 1000;
  for (let c = Math.ceil((x0 - ref) / xStep) * xStep + ref; c <= x1; c += xStep) {
    svg("line", { x1: sx(c), x2: sx(c), y1: PLOT.top, y2: PLOT.h - PLOT.bottom, class: "grid" }, root);
    svg("text", { x: sx(c), y: PLOT.h - PLOT.bottom + 14, "text-anchor": "middle", class: "tick" }, root)
      .textContent = fmtAudio((c - ref) / 1000).replace(/\.\d$/, "");
  }
  const yStep = niceStep(y1 - y0, 4);
  for (let o = Math.ceil(y0 / yStep) * yStep; o <= y1; o += yStep) {
    svg("line", { x1: PLOT.left, x2: PLOT.w - PLOT.right, y1: sy(o), y2: sy(o), class: "grid" }, root);
    svg("text", { x: PLOT.left - 6, y: sy(o) + 3, "text-anchor": "end", class: "tick" }, root)
      .textContent = `${+o.toFixed(2)} s`;
  }
  svg("line", { x1: PLOT.left, x2: PLOT.left, y1: PLOT.top, y2: PLOT.h - PLOT.bottom, class: "axis" }, root);
  svg("line", { x1: PLOT.left, x2: PLOT.w - PLOT.right, y1: PLOT.h - PLOT.bottom, y2: PLOT.h - PLOT.bottom, class: "axis" }, root);
  svg("text", { x: PLOT.w - PLOT.right, y: PLOT.h - 4, "text-anchor": "end", class: "tick" }, root)
    .textContent = "chat time since start";
  // curves + knots
  for (const s of series) {
    svg("polyline", { points: s.points.map(([c, o]) => `${sx(c).toFixed(1)},${sy(o).toFixed(1)}`).join(" "), class: s.cls }, root);
  }
  const estimateKeys = new Set(state.estimateKnots.map((k) => `${k.chat_utc_ms}:${k.audio_s}`));
  for (const k of knots) {
    const edited = !estimateKeys.has(`${k.chat_utc_ms}:${k.audio_s}`);
    const dot = svg("circle", { cx: sx(k.chat_utc_ms), cy: sy(offsetAt(knots, k.chat_utc_ms)), r: 4, class: edited ? "knot edited" : "knot" }, root);
    svg("title", {}, dot).textContent = `knot ${fmtClock(k.chat_utc_ms)} → ${fmtAudio(k.audio_s)}`;
  }
  // "now" marker
  const marker = svg("g", { id: "now-marker" }, root);
  svg("line", { x1: 0, x2: 0, y1: PLOT.top, y2: PLOT.h - PLOT.bottom, class: "now-line" }, marker);
  svg("circle", { cx: 0, cy: 0, r: 4, class: "now-dot" }, marker);
  movePlotMarker(chatTimeNow());
}

function movePlotMarker(chat) {
  const marker = document.getElementById("now-marker");
  if (!marker || !state.plot || !Number.isFinite(chat)) return;
  const { x0, x1, sx, sy } = state.plot;
  const c = Math.min(x1, Math.max(x0, chat));
  const [line, dot] = marker.children;
  line.setAttribute("x1", sx(c));
  line.setAttribute("x2", sx(c));
  dot.setAttribute("cx", sx(c));
  dot.setAttribute("cy", sy(offsetAt(state.knots, c)));
}

$("curve").addEventListener("click", (event) => {
  if (!state.plot) return;
  const root = $("curve");
  const box = root.getBoundingClientRect();
  const x = ((event.clientX - box.left) / box.width) * PLOT.w;
  const { x0, x1 } = state.plot;
  const c = x0 + ((x - PLOT.left) / (PLOT.w - PLOT.left - PLOT.right)) * (x1 - x0);
  seek(mapChatToAudio(state.knots, c));
});

// ---- player ------------------------------------------------------------------------------------------
function seek(seconds) {
  if (!Number.isFinite(seconds)) return;
  const end = Number.isFinite(audio.duration) ? audio.duration : Infinity;
  audio.currentTime = Math.min(Math.max(0, seconds), end);
  updateNow();
}

let frame = null;
function tick() {
  updateNow();
  frame = audio.paused ? null : requestAnimationFrame(tick);
}
audio.addEventListener("play", () => { if (frame === null) frame = requestAnimationFrame(tick); });
for (const name of ["seeked", "seeking", "timeupdate", "loadedmetadata", "pause"]) {
  audio.addEventListener(name, () => { if (state.detail) updateNow(); });
}
audio.addEventListener("loadedmetadata", () => { if (state.detail) renderChat(); });

// ---- controls + keys -------------------------------------------------------------------------------
for (const button of document.querySelectorAll("button[data-nudge]")) {
  button.addEventListener("click", () => nudge(Number(button.dataset.nudge)));
}
$("shift-all").addEventListener("click", () => shiftAll(Number($("shift-s").value)));
$("undo").addEventListener("click", undo);
$("revert").addEventListener("click", revert);
$("use-estimate").addEventListener("click", useEstimate);
$("flag-start").addEventListener("click", () => markFlag("start"));
$("flag-end").addEventListener("click", () => markFlag("end"));
$("flag-add").addEventListener("click", addFlag);
$("save").addEventListener("click", save);
$("follow").addEventListener("change", () => updateNow());

document.addEventListener("keydown", (event) => {
  if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === "s") {
    event.preventDefault();
    save();
    return;
  }
  const tag = event.target && event.target.tagName;
  if (tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || event.ctrlKey || event.metaKey || event.altKey) return;
  // the focused player handles its own play/seek keys; don't do them twice
  if (tag === "AUDIO" && [" ", "ArrowLeft", "ArrowRight"].includes(event.key)) return;
  const actions = {
    j: () => nudge(-0.25),
    k: () => nudge(0.25),
    J: () => nudge(-1),
    K: () => nudge(1),
    "[": () => markFlag("start"),
    "]": () => markFlag("end"),
    u: undo,
    " ": () => (audio.paused ? audio.play() : audio.pause()),
    ArrowLeft: () => seek(audio.currentTime - (event.shiftKey ? 30 : 5)),
    ArrowRight: () => seek(audio.currentTime + (event.shiftKey ? 30 : 5)),
  };
  const action = actions[event.key];
  if (action) {
    event.preventDefault();
    action();
  }
});

document.addEventListener("keyup", (event) => {
  // a focused button would also "click" on space after we used it for play/pause
  if (event.key === " " && event.target && event.target.tagName === "BUTTON") event.preventDefault();
});

window.addEventListener("beforeunload", (event) => {
  if (state.dirty) event.preventDefault();
});

init();
