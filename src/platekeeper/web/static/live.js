// The live reads table: new rows arrive as server-sent events and are added on
// top; rows are built with textContent only (the data is never parsed as HTML).
(function () {
  "use strict";

  function when(iso) {
    var d = new Date(iso);
    return d.toISOString().replace("T", " ").slice(0, 19) + " UTC";
  }

  function cell(row, text, cls) {
    var td = document.createElement("td");
    if (cls) { td.className = cls; }
    td.textContent = text;
    row.appendChild(td);
    return td;
  }

  function rowOf(read) {
    var tr = document.createElement("tr");
    tr.dataset.read = String(read.id);
    if (read.hit) { tr.className = "hit"; }
    cell(tr, when(read.captured_at));
    cell(tr, read.plate || "no plate", "plate");
    var crop = cell(tr, "");
    if (read.crop_url && read.crop_url.indexOf("/api/v1/evidence/") === 0) {
      var img = document.createElement("img");
      img.className = "thumb";
      img.alt = "plate crop";
      img.src = read.crop_url;
      crop.appendChild(img);
    } else {
      crop.textContent = "no image";
      crop.className = "hint";
    }
    cell(tr, read.camera + " · " + read.camera_name);
    cell(tr, Math.round(read.confidence * 100) + "%");
    cell(tr, read.country || "—");
    return tr;
  }

  function start(table) {
    var body = table.tBodies[0];
    var max = Number(table.dataset.liveMax || 200);
    var state = document.querySelector("[data-testid=live-state]");
    var seen = {};
    Array.prototype.forEach.call(body.rows, function (r) { seen[r.dataset.read] = true; });
    var source = new EventSource(table.dataset.liveStream);
    source.addEventListener("open", function () { if (state) { state.textContent = "live"; } });
    source.addEventListener("error", function () { if (state) { state.textContent = "reconnecting…"; } });
    source.addEventListener("read", function (event) {
      var read = JSON.parse(event.data);
      if (seen[read.id]) { return; }
      seen[read.id] = true;
      body.insertBefore(rowOf(read), body.firstChild);
      while (body.rows.length > max) { body.deleteRow(body.rows.length - 1); }
      table.dataset.received = String(Number(table.dataset.received || 0) + 1);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("table[data-live-stream]").forEach(start);
  });
})();
