/* global document, window, EventSource */
// The status page: one EventSource on this origin, tables rebuilt with textContent (no HTML from the server).
"use strict";

const $ = (id) => document.getElementById(id);

function bytes(n) {
  const units = ["B", "KB", "MB", "GB", "TB"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return `${n.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}

function duration(s) {
  if (s < 60) return `${s.toFixed(1)} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${Math.floor(s % 60)} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

function fill(tableId, rows, emptyText, cells, rowClass) {
  const body = $(tableId).tBodies[0];
  const columns = $(tableId).tHead.rows[0].cells.length;
  const next = document.createDocumentFragment();
  if (rows.length === 0) {
    const tr = document.createElement("tr");
    const td = document.createElement("td");
    td.colSpan = columns;
    td.className = "empty";
    td.textContent = emptyText;
    tr.append(td);
    next.append(tr);
  }
  for (const row of rows) {
    const tr = document.createElement("tr");
    const cls = rowClass ? rowClass(row) : "";
    if (cls) tr.className = cls;
    for (const value of cells(row)) {
      const td = document.createElement("td");
      td.textContent = value === null || value === undefined ? "" : String(value);
      tr.append(td);
    }
    next.append(tr);
  }
  body.replaceChildren(next);
}

function drawChart(samples) {
  const canvas = $("chart");
  const ratio = window.devicePixelRatio || 1;
  const width = canvas.clientWidth * ratio;
  const height = canvas.clientHeight * ratio;
  if (canvas.width !== width || canvas.height !== height) { canvas.width = width; canvas.height = height; }
  const ctx = canvas.getContext("2d");
  ctx.clearRect(0, 0, width, height);
  const max = Math.max(1, ...samples.map((s) => s.instances));
  const pad = 18 * ratio;
  const barWidth = (width - pad) / samples.length;
  ctx.fillStyle = "#1f6feb";
  samples.forEach((s, i) => {
    const h = ((height - pad) * s.instances) / max;
    ctx.fillRect(pad + i * barWidth, height - h, Math.max(1, barWidth - 1), h);
  });
  ctx.fillStyle = "#6a7384";
  ctx.font = `${11 * ratio}px system-ui, sans-serif`;
  ctx.fillText(`${max}/s`, 2 * ratio, 12 * ratio);
  const last = samples[samples.length - 1];
  const mbs = samples.slice(-10).reduce((a, s) => a + s.bytes, 0) / 10 / 1048576;
  ctx.fillText(`now ${last ? last.instances : 0}/s, ${mbs.toFixed(1)} MB/s (10 s mean)`, width - 260 * ratio, 12 * ratio);
}

function render(s) {
  $("node").textContent = `AE ${s.node.aet}, DICOM port ${s.node.dicomPort}, ${s.node.tls ? `DICOM TLS (${s.node.profile})` : "plain DICOM"}, up ${duration(s.node.uptimeSeconds)}`;
  $("open").textContent = String(s.associations.length);
  $("stored").textContent = String(s.stored.instances);
  $("bytes").textContent = bytes(s.stored.bytes);
  $("failures").textContent = String(s.stored.failures);
  $("loop").textContent = `${s.runtime.loopDelayP99Ms} ms`;
  $("rss").textContent = `${s.runtime.rssMb} MB`;
  fill("associations", s.associations, "no open association", (a) => [
    a.peer, a.callingAet, a.calledAet, a.tlsVersion ?? "plain", a.cipher, a.certificateSubject, bytes(a.bytesIn), bytes(a.bytesOut), a.instancesStored, duration(a.durationSeconds),
  ]);
  fill("refusals", s.refusals, "no refusal since start", (r) => [new Date(r.at).toLocaleTimeString(), r.peer, r.stage, r.reason, r.certificateSubject, r.detail], () => "expired");
  fill("certificates", s.certificates, "DICOM TLS is off", (c) => [c.role, c.name, c.subject, new Date(c.validTo).toISOString().slice(0, 10), (c.secondsLeft / 86400).toFixed(0)],
    (c) => (c.secondsLeft < 0 ? "expired" : c.secondsLeft < 30 * 86400 ? "soon" : ""));
  const r = s.runtime;
  $("runtime").textContent = `event-loop delay p50 ${r.loopDelayP50Ms} ms, p99 ${r.loopDelayP99Ms} ms, max ${r.loopDelayMaxMs} ms; RSS ${r.rssMb} MB (peak while serving ${r.peakServingRssMb} MB); GC ${r.gcCount} pauses, ${r.gcTotalMs} ms in all, longest ${r.gcMaxPauseMs} ms`;
  drawChart(s.throughput);
}

function connect() {
  const live = $("live");
  const events = new EventSource("status/events");
  events.onopen = () => { live.textContent = "live"; live.className = "badge on"; };
  events.onmessage = (e) => render(JSON.parse(e.data));
  // EventSource reconnects by itself; the badge says while it does.
  events.onerror = () => { live.textContent = "reconnecting"; live.className = "badge off"; };
}

connect();
