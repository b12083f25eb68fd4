/*
 * The tablet's patient pages. Everything here is an enhancement of plain HTML forms: the
 * server keeps the draft and checks every answer. Settings come from data- attributes
 * (no inline script), and nothing the patient types is ever put in browser storage.
 */
(function () {
  "use strict";

  // A page restored from the back/forward cache could show a patient's answers after the
  // draft is gone: always ask the server again.
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) {
      window.location.reload();
    }
  });

  document.addEventListener("DOMContentLoaded", forgetThePost);

  document.addEventListener("DOMContentLoaded", function () {
    focusErrorSummary();
    setUpFollowUps();
    setUpExclusiveChoices();
    setUpQuickNo();
    setUpAutosave();
    setUpSubmitGuards();
    setUpIdleReset();
    setUpReturnToWelcome();
  });

  /* A page drawn as the answer to a post would be posted again by Back or reload, behind the
     browser's "Confirm form resubmission" screen, where no script runs and the tablet never
     returns to the welcome screen. Its history entry becomes a plain visit of its address,
     which the server answers with the draft as saved (or the welcome screen). */
  function forgetThePost() {
    if (document.querySelector('meta[name="intake-drawn-by-post"]') && window.history.replaceState) {
      window.history.replaceState(null, "", window.location.href);
    }
  }

  function focusErrorSummary() {
    var summary = document.getElementById("error-summary");
    if (summary) {
      summary.focus();
    }
  }

  /* Follow-up questions appear only after the answer that calls for them. */
  function setUpFollowUps() {
    var form = document.getElementById("section-form");
    if (!form) {
      return;
    }
    var followUps = form.querySelectorAll("[data-show-if]");
    if (!followUps.length) {
      return;
    }
    function chosen(name) {
      var values = [];
      form.querySelectorAll('[name="' + name + '"]').forEach(function (input) {
        if ((input.type === "radio" || input.type === "checkbox") && input.checked) {
          values.push(input.value);
        }
      });
      return values;
    }
    function isShown(container) {
      var parentId = container.dataset.showIf;
      var parent = document.getElementById("q-" + parentId);
      if (parent && parent.dataset.showIf && !isShown(parent)) {
        return false;
      }
      var wanted = container.dataset.showValues.split(" ");
      return chosen(parentId).some(function (value) {
        return wanted.indexOf(value) !== -1;
      });
    }
    function update() {
      followUps.forEach(function (container) {
        container.hidden = !isShown(container);
      });
    }
    form.addEventListener("change", update);
    update();
  }

  /* "No allergies" and an allergy cannot both be ticked: ticking one clears the other. */
  function setUpExclusiveChoices() {
    document.querySelectorAll('input[type="checkbox"][value="none"]').forEach(function (none) {
      var group = document.querySelectorAll('input[type="checkbox"][name="' + none.name + '"]');
      group.forEach(function (box) {
        box.addEventListener("change", function () {
          if (!box.checked) {
            return;
          }
          group.forEach(function (other) {
            if (other !== box && (box === none || other === none)) {
              other.checked = false;
            }
          });
        });
      });
    });
  }

  /* "Answer No to the rest": No to every yes/no question of the list not answered yet, chosen
     here without a reload (the server does the same for a page posted without this script,
     intake.questionnaire.no_to_the_rest). A follow-up question is never answered for the
     patient. The change events show or hide follow-ups and save as usual. */
  function setUpQuickNo() {
    var button = document.querySelector("[data-quick-no]");
    var status = document.getElementById("quick-no-status");
    if (!button || !status) {
      return;
    }
    button.addEventListener("click", function (event) {
      event.preventDefault();
      var form = button.form;
      var unanswered = [];
      form.querySelectorAll("fieldset.kind-yes_no:not([data-show-if])").forEach(function (question) {
        if (question.querySelector('input[type="radio"]:checked')) {
          return;
        }
        var no = question.querySelector('input[type="radio"][value="no"]');
        if (no) {
          unanswered.push(no);
        }
      });
      unanswered.forEach(function (no) {
        no.checked = true;
        no.dispatchEvent(new Event("change", { bubbles: true }));
      });
      var count = unanswered.length;
      var message = count === 0 ? button.dataset.messageNone
        : count === 1 ? button.dataset.messageOne
        : button.dataset.messageMany.replace("{n}", String(count));
      // Cleared first, so the same words said twice are announced twice.
      status.textContent = "";
      window.setTimeout(function () {
        status.textContent = message;
      }, 50);
    });
  }

  /* What is typed is saved to the server as the patient goes, so a dropped connection or a
     reload loses nothing. */
  function setUpAutosave() {
    var form = document.querySelector("form[data-autosave]");
    if (!form || !window.fetch || !window.FormData) {
      return;
    }
    var timer = null;
    var unsaved = false;
    function save() {
      timer = null;
      unsaved = false;
      var data = new FormData(form);
      data.set("action", "autosave");
      // Not form.action: the buttons named "action" shadow that property.
      fetch(form.getAttribute("action") || window.location.href, {
        method: "POST",
        body: data,
        credentials: "same-origin",
        redirect: "manual",
      }).catch(function () {
        // No connection: try again when it is back (or at the next change).
        unsaved = true;
      });
    }
    function later() {
      if (timer) {
        window.clearTimeout(timer);
      }
      timer = window.setTimeout(save, 1500);
    }
    window.addEventListener("online", function () {
      if (unsaved) {
        later();
      }
    });
    form.addEventListener("input", later);
    form.addEventListener("change", later);
  }

  /* Without a connection, keep the page (and what is on it) instead of an error screen; and
     send "Sign and submit" once even if it is tapped twice. */
  function setUpSubmitGuards() {
    var status = document.getElementById("connection-status");
    document.querySelectorAll("form").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        if (navigator.onLine === false && status) {
          event.preventDefault();
          status.hidden = false;
          return;
        }
        if (status) {
          status.hidden = true;
        }
        if (!form.hasAttribute("data-submit-once")) {
          return;
        }
        if (form.dataset.sending === "yes") {
          event.preventDefault();
          return;
        }
        form.dataset.sending = "yes";
        // If the answer never comes (a dropped connection), allow another try.
        window.setTimeout(function () {
          form.dataset.sending = "";
        }, 10000);
      });
    });
  }

  /* After a while without a touch: "Are you still there?", then the draft is discarded and
     the tablet goes back to the welcome screen. The server closes a draft on the same clock,
     so while the patient is at work on a page (not merely while it is open) it is told so. */
  function setUpIdleReset() {
    var dialog = document.getElementById("idle-dialog");
    var discard = document.getElementById("idle-discard");
    if (!dialog || !discard) {
      return;
    }
    var warningMs = Number(dialog.dataset.warningSeconds) * 1000;
    var resetMs = Number(dialog.dataset.resetSeconds) * 1000;
    var countdown = document.getElementById("idle-countdown");
    var live = document.getElementById("idle-live");
    var moreTime = document.getElementById("idle-more-time");
    var lastActivity = Date.now();
    // "I need more time", once a page: the next warning comes after twice the quiet time,
    // and the server hears from the page when the usual warning would have come, so its
    // own idle clock (warning + reset) never closes the draft first.
    var extraMs = 0;
    var extraBeatAt = 0;
    var announced = {};
    var activeSinceBeat = false;
    var discarding = false;

    function activity() {
      if (!dialog.open) {
        lastActivity = Date.now();
        activeSinceBeat = true;
      }
    }
    ["pointerdown", "keydown", "input", "touchstart", "wheel"].forEach(function (type) {
      document.addEventListener(type, activity, { passive: true, capture: true });
    });
    window.addEventListener("scroll", activity, { passive: true, capture: true });

    var beat = setUpKeepAlive(
      dialog,
      discard,
      function () {
        if (!activeSinceBeat || discarding) {
          return false;
        }
        activeSinceBeat = false;
        return true;
      },
      function () {
        activeSinceBeat = true; // a beat that did not arrive: the next one carries it
      }
    );
    // "I'm still here" tells the server at once: the page's clock starts over now, and so
    // must the server's, however close to its limit the answer came.
    function stillHere() {
      lastActivity = Date.now();
      activeSinceBeat = false;
      beat();
    }
    document.getElementById("idle-continue").addEventListener("click", function () {
      dialog.close();
      stillHere();
    });
    moreTime.addEventListener("click", function () {
      extraMs = warningMs;
      extraBeatAt = Date.now() + warningMs;
      moreTime.hidden = true;
      dialog.close();
      stillHere();
    });
    dialog.addEventListener("cancel", stillHere);

    window.setInterval(function () {
      if (extraBeatAt && Date.now() >= extraBeatAt) {
        extraBeatAt = 0;
        activeSinceBeat = false;
        beat();
      }
      var idle = Date.now() - lastActivity - extraMs;
      if (idle < warningMs) {
        announced = {};
      }
      if (idle >= warningMs + resetMs) {
        if (!discarding) {
          discarding = true;
          discard.submit();
        }
        return;
      }
      if (idle >= warningMs) {
        if (!dialog.open) {
          dialog.showModal();
        }
        var left = Math.max(0, Math.ceil((warningMs + resetMs - idle) / 1000));
        countdown.textContent = String(left);
        // A screen reader hears the time left at 30 and at 10 seconds, not every second.
        [30, 10].forEach(function (mark) {
          if (left <= mark && left > mark - 5 && !announced[mark]) {
            announced[mark] = true;
            live.textContent = dialog.dataset.announce.replace("{n}", String(left));
          }
        });
      }
    }, 250);
  }

  /* At most every beat, and only after a touch, a key or a scroll since the last one: an
     untouched tablet never keeps its draft open. A draft the server has closed (or held)
     reloads the page, which then shows nothing of it. */
  function setUpKeepAlive(dialog, discard, wasActive, notSent) {
    var url = dialog.dataset.keepAliveUrl;
    if (!url || !window.fetch || !window.FormData) {
      return function () {};
    }
    var beatMs = Math.max(500, Number(dialog.dataset.keepAliveSeconds) * 1000);
    var token = discard.querySelector('input[name="csrf_token"]').value;
    // Once the page posts its form it is leaving: a keep-alive answered after "Sign and
    // submit" stored the intake (and closed the draft) must not reload the page over the
    // thank-you page it is going to.
    var leaving = false;
    document.addEventListener("submit", function (event) {
      if (event.defaultPrevented) {
        return; // not sent (offline): the page stays, and so must its draft
      }
      leaving = true;
      window.setTimeout(function () {
        leaving = false; // the answer never came: the page is still here
      }, 10000);
    });
    window.addEventListener("pageshow", function () {
      leaving = false;
    });
    function beat() {
      if (leaving) {
        return;
      }
      var data = new FormData();
      data.set("csrf_token", token);
      fetch(url, { method: "POST", body: data, credentials: "same-origin" })
        .then(function (response) {
          if (response.status === 410 && !leaving) {
            window.location.reload();
          }
        })
        .catch(notSent); // no connection: the next beat tries again
    }
    window.setInterval(function () {
      if (wasActive()) {
        beat();
      }
    }, beatMs);
    return beat;
  }

  /* The thank-you page goes back to the welcome screen by itself. */
  function setUpReturnToWelcome() {
    var thanks = document.querySelector("[data-return-url]");
    if (!thanks) {
      return;
    }
    window.setTimeout(function () {
      window.location.replace(thanks.dataset.returnUrl);
    }, Number(thanks.dataset.returnAfter) * 1000);
  }
})();
