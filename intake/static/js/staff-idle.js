// Staff idle timeout: warn before the server ends an unused session, let staff stay.
// Settings come from data- attributes on #idle-warning (no inline script: see the CSP).
(function () {
  "use strict";

  var dialog = document.getElementById("idle-warning");
  if (!dialog || typeof dialog.showModal !== "function") {
    return;
  }
  var warningSeconds = Number(dialog.dataset.warningSeconds) || 60;
  var countdown = dialog.querySelector("[data-countdown]");
  var stayButton = dialog.querySelector("[data-stay]");
  var deadline = 0;
  var timers = [];

  function clearTimers() {
    timers.forEach(function (timer) { clearTimeout(timer); clearInterval(timer); });
    timers = [];
  }

  function secondsLeft() {
    return Math.max(0, Math.round((deadline - Date.now()) / 1000));
  }

  function showCountdown() {
    var left = secondsLeft();
    var seconds = String(left % 60);
    countdown.textContent = Math.floor(left / 60) + ":" + (seconds.length < 2 ? "0" : "") + seconds;
  }

  function warn() {
    showCountdown();
    if (!dialog.open) {
      dialog.showModal();
      stayButton.focus();
    }
    timers.push(setInterval(showCountdown, 1000));
  }

  function expire() {
    // Hide patient data at once; the reload lands on the login page (the server ended it).
    clearTimers();
    var main = document.getElementById("main");
    if (main) {
      main.hidden = true;
    }
    window.location.reload();
  }

  function schedule(seconds) {
    clearTimers();
    deadline = Date.now() + seconds * 1000;
    timers.push(setTimeout(warn, Math.max(0, seconds - warningSeconds) * 1000));
    // A little after the server's deadline, so the reload finds the session over.
    timers.push(setTimeout(expire, (seconds + 2) * 1000));
  }

  function stay() {
    fetch(dialog.dataset.keepaliveUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": dialog.dataset.csrfToken, "Accept": "application/json" },
      redirect: "error"
    })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("session over");
        }
        return response.json();
      })
      .then(function (body) {
        dialog.close();
        schedule(body.seconds_left);
      })
      .catch(expire);
  }

  stayButton.addEventListener("click", stay);
  dialog.addEventListener("cancel", function (event) {
    // Escape means "I'm here": treat it like the button.
    event.preventDefault();
    stay();
  });
  schedule(Number(dialog.dataset.secondsLeft));
})();
