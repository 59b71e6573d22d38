/**
 * The episode page's player script, served as `/assets/player.js` (SPEC §10). It only
 * enhances the page's `<audio controls>`: it seeks to the synced position once the
 * metadata is loaded, then saves the position through `POST /web/play` about every 15 s
 * while playing, on pause, on `ended` (as played) and on `pagehide` (with
 * `navigator.sendBeacon`, which survives the page going away). The CSRF token comes from
 * the page's `data-csrf` and travels in the form body, where a beacon can carry it.
 */
export const PLAYER_JS = `"use strict";
(function () {
  var box = document.getElementById("player");
  var audio = box && box.querySelector("audio");
  if (!box || !audio) return;
  var data = box.dataset;
  var endpoint = data.endpoint || "/web/play";
  var start = Math.max(0, Number(data.start) || 0);
  var status = document.getElementById("player-status");
  var SAVE_EVERY_MS = 15000;
  var ready = start === 0;
  var started = false;
  var lastSaved = -1;
  var timer = null;

  function seek() {
    if (ready) return;
    ready = true;
    var d = audio.duration;
    if (!isFinite(d) || start < d - 1) audio.currentTime = start;
  }
  if (audio.readyState >= 1) seek();
  else audio.addEventListener("loadedmetadata", seek, { once: true });

  function say(text) {
    if (status) status.textContent = text;
  }

  function body(played) {
    var form = new URLSearchParams();
    form.set("csrf", data.csrf || "");
    form.set("feed", data.feed || "");
    form.set("item", data.item || "");
    form.set("position", String(Math.floor(audio.currentTime || 0)));
    var d = audio.duration;
    if (isFinite(d) && d > 0) form.set("duration", String(Math.round(d)));
    if (played) form.set("played", "true");
    return form;
  }

  function save(played, leaving) {
    // Never overwrite the synced position before the player got there.
    if (!ready || !started) return;
    var position = Math.floor(audio.currentTime || 0);
    if (!played && position === lastSaved) return;
    lastSaved = position;
    var form = body(played);
    if (leaving && navigator.sendBeacon) {
      navigator.sendBeacon(endpoint, form);
      return;
    }
    fetch(endpoint, { method: "POST", body: form, credentials: "same-origin", keepalive: true })
      .then(function (res) {
        say(res.ok ? (played ? "Marked as played." : "Position saved.") :
          "Your position could not be saved.");
      })
      .catch(function () { say("Your position could not be saved (offline?)."); });
  }

  function stopTimer() {
    if (timer !== null) clearInterval(timer);
    timer = null;
  }

  audio.addEventListener("play", function () {
    started = true;
    seek();
    stopTimer();
    timer = setInterval(function () { save(false, false); }, SAVE_EVERY_MS);
  });
  audio.addEventListener("pause", function () {
    stopTimer();
    if (!audio.ended) save(false, false);
  });
  audio.addEventListener("ended", function () {
    stopTimer();
    save(true, false);
  });
  addEventListener("pagehide", function () {
    stopTimer();
    if (!audio.ended) save(false, true);
  });
})();
`;
