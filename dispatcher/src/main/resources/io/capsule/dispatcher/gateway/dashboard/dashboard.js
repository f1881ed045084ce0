// Capsule dashboard: polls the gateway's JSON API (same origin; the session cookie or the
// Authorization header authenticates) and redraws without reloading the page.
"use strict";

const STATES = ["queued", "running", "retrying", "succeeded", "failed", "dead_lettered", "cancelled"];
const POLL_MS = 1500;
const $ = (id) => document.getElementById(id);

async function getJson(path) {
  const response = await fetch(path, { credentials: "same-origin", cache: "no-store" });
  const body = await response.json();
  if (!response.ok && response.status !== 202) {
    throw new Error(body.detail || response.statusText);
  }
  return body;
}

function cell(row, text, className) {
  const td = row.insertCell();
  td.textContent = text === undefined || text === null ? "–" : String(text);
  if (className) td.className = className;
  return td;
}

function drawCounts(stats) {
  const counts = $("counts");
  counts.replaceChildren(...STATES.map((state) => {
    const card = document.createElement("div");
    card.className = "card state-" + state;
    card.dataset.state = state;
    const n = document.createElement("span");
    n.className = "n";
    n.textContent = stats.by_state[state] ?? 0;
    const label = document.createElement("span");
    label.className = "label";
    label.textContent = state.replace("_", " ");
    card.append(n, label);
    return card;
  }));
  $("throughput").textContent = stats.throughput_per_second.toFixed(2);
  $("finished").textContent = stats.finished_last_minute;
}

function drawLevels(stats) {
  const table = $("levels");
  const head = table.tHead;
  head.replaceChildren();
  const hr = head.insertRow();
  ["Level", ...STATES].forEach((s) => { const th = document.createElement("th"); th.textContent = s; hr.append(th); });
  const body = table.tBodies[0];
  body.replaceChildren();
  Object.entries(stats.by_level).forEach(([level, counts]) => {
    const row = body.insertRow();
    row.dataset.level = level;
    cell(row, level);
    STATES.forEach((s) => cell(row, counts[s] ?? 0));
  });
}

function drawTasks(tasks) {
  const body = $("tasks").tBodies[0];
  body.replaceChildren();
  tasks.forEach((t) => {
    const row = body.insertRow();
    row.className = "task";
    row.dataset.taskId = t.task_id;
    cell(row, t.task_id).title = t.task_id;
    cell(row, t.state, "state state-" + t.state);
    cell(row, t.level);
    cell(row, t.attempt);
    cell(row, t.duration_ms === undefined ? null : t.duration_ms + " ms");
    cell(row, t.fuel_consumed === undefined ? null : t.fuel_consumed.toLocaleString("en"));
    cell(row, t.error_type ? t.error_type + (t.message ? ": " + t.message : "") : null);
    cell(row, new Date(t.updated_at).toLocaleTimeString());
    row.addEventListener("click", () => showTask(t.task_id));
  });
}

async function showTask(id) {
  $("detail").hidden = false;
  $("detail-id").textContent = id;
  $("detail-body").textContent = "loading…";
  try {
    const body = await getJson("/v1/tasks/" + encodeURIComponent(id) + "/result");
    $("detail-body").textContent = JSON.stringify(body, null, 2);
  } catch (e) {
    $("detail-body").textContent = "error: " + e.message;
  }
}

async function refresh() {
  try {
    const filter = $("state-filter").value;
    const [stats, list] = await Promise.all([
      getJson("/v1/stats"),
      getJson("/v1/tasks?limit=50" + (filter ? "&state=" + filter : "")),
    ]);
    drawCounts(stats);
    drawLevels(stats);
    drawTasks(list.tasks);
    $("connection").textContent = "live";
    $("connection").className = "pill ok";
    $("updated").textContent = "updated " + new Date(stats.at).toLocaleTimeString();
  } catch (e) {
    $("connection").textContent = "disconnected: " + e.message;
    $("connection").className = "pill bad";
  }
}

$("state-filter").addEventListener("change", refresh);
$("detail-close").addEventListener("click", () => { $("detail").hidden = true; });
refresh();
setInterval(refresh, POLL_MS);
