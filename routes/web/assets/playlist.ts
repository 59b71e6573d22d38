/**
 * `/assets/playlist.js`: drag-and-drop ordering on a playlist page (SPEC §10). The page
 * works without it — its Move up / Move down buttons stay for keyboard and touch users; the
 * script lets a mouse drag an episode, then posts the whole new order with the page's CSRF
 * token to `POST /playlists/{id}/order` and says in a live region whether it was saved.
 * Plain ES2017 so every current browser runs it as is.
 */
export const PLAYLIST_JS = `"use strict";
(function () {
  var list = document.getElementById("playlist-items");
  if (!list || !list.dataset.orderUrl || !window.fetch) return;
  var status = document.getElementById("order-status");
  var dragged = null;
  var before = "";

  function say(text) { if (status) status.textContent = text; }
  function rows() { return Array.prototype.slice.call(list.querySelectorAll("li[data-item]")); }
  function order() { return rows().map(function (li) { return li.dataset.item; }).join(" "); }

  // The first episode cannot move up nor the last one down: hide those buttons again.
  function refreshButtons() {
    var all = rows();
    all.forEach(function (li, i) {
      var up = li.querySelector('[data-move="up"]');
      var down = li.querySelector('[data-move="down"]');
      if (up) up.closest("form").hidden = i === 0;
      if (down) down.closest("form").hidden = i === all.length - 1;
    });
  }

  function save() {
    var now = order();
    if (now === before) return;
    var body = new URLSearchParams();
    body.set("csrf", list.dataset.csrf || "");
    body.set("order", now);
    say("Saving the new order…");
    fetch(list.dataset.orderUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Accept": "application/json" },
      body: body,
    }).then(function (res) {
      if (!res.ok) throw new Error(String(res.status));
      before = now;
      refreshButtons();
      say("New order saved.");
    }).catch(function () {
      say("The new order could not be saved; reloading the playlist…");
      setTimeout(function () { location.reload(); }, 1500);
    });
  }

  list.classList.add("dnd");
  before = order();
  rows().forEach(function (li) {
    li.draggable = true;
    li.addEventListener("dragstart", function (e) {
      dragged = li;
      li.classList.add("dragging");
      e.dataTransfer.effectAllowed = "move";
      e.dataTransfer.setData("text/plain", li.dataset.item);
    });
    li.addEventListener("dragend", function () {
      li.classList.remove("dragging");
      dragged = null;
      save();
    });
    li.addEventListener("dragover", function (e) {
      if (!dragged || dragged === li) return;
      e.preventDefault();
      var box = li.getBoundingClientRect();
      var after = e.clientY > box.top + box.height / 2;
      list.insertBefore(dragged, after ? li.nextSibling : li);
    });
    li.addEventListener("drop", function (e) { e.preventDefault(); });
  });
})();
`;
