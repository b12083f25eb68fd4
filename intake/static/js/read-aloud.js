/*
 * "Read aloud": the browser's own speech synthesis reads the consent's clauses, or a page's
 * questions, in the page's language. Nothing is sent anywhere; a browser with no voice for
 * the language keeps the button hidden.
 */
(function () {
  "use strict";

  document.addEventListener("DOMContentLoaded", function () {
    var button = document.querySelector("[data-read-aloud]");
    var area = document.querySelector("[data-read-aloud-area]");
    if (!button || !area || !window.speechSynthesis || !window.SpeechSynthesisUtterance) {
      return;
    }
    var speech = window.speechSynthesis;
    var language = (document.documentElement.lang || "en").toLowerCase();
    var label = button.textContent;
    var reading = false;

    function voice() {
      return speech.getVoices().filter(function (candidate) {
        return candidate.lang.toLowerCase().split(/[-_]/)[0] === language.split("-")[0];
      })[0];
    }

    function offer() {
      button.hidden = !voice();
    }

    /* What is read: each clause's heading and paragraphs, the notes and the agreement on the
       consent page; each question's label on a page of the history. */
    function texts() {
      var parts = area.querySelectorAll(
        ".clause h2, .clause > p, .risk-notes h2, .risk-notes p, .agree span, " +
          ".question > legend, .question > label"
      );
      return Array.prototype.map.call(parts, function (part) {
        return part.textContent.replace(/\s+/g, " ").trim();
      }).filter(Boolean);
    }

    function stop() {
      reading = false;
      speech.cancel();
      button.textContent = label;
      button.setAttribute("aria-pressed", "false");
    }

    button.addEventListener("click", function () {
      if (reading) {
        stop();
        return;
      }
      reading = true;
      button.textContent = button.dataset.labelStop;
      button.setAttribute("aria-pressed", "true");
      var chosen = voice();
      var all = texts();
      all.forEach(function (text, index) {
        var utterance = new window.SpeechSynthesisUtterance(text);
        utterance.lang = chosen ? chosen.lang : language;
        if (chosen) {
          utterance.voice = chosen;
        }
        utterance.rate = 0.9; // a little slower than usual, for patients who read slowly
        if (index === all.length - 1) {
          utterance.onend = stop;
        }
        speech.speak(utterance);
      });
    });
    window.addEventListener("pagehide", function () {
      speech.cancel();
    });
    offer();
    speech.addEventListener("voiceschanged", offer);
  });
})();
