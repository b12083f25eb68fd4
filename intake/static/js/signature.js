/*
 * The consent page's signature: signature_pad on a canvas scaled for the screen's pixel
 * ratio. The strokes are kept in CSS pixels and scaled with the box, so the signature
 * survives rotation and resizing; the hidden "signature" field always holds
 * {"width", "height", "data": toData()}, which the server checks and turns into SVG.
 */
(function () {
  "use strict";

  document.addEventListener("DOMContentLoaded", function () {
    setUpSignerChoice();
    setUpMethodChoice();
    setUpSavingState();
    setUpInitials();
    var box = document.querySelector("[data-signature]");
    if (box && window.SignaturePad) {
      setUpSignature(box);
    }
  });

  /* An adult's page: the representative's name and authority, and the note saying whose
     initials to write, follow the choice of who is signing. */
  function setUpSignerChoice() {
    var radios = document.querySelectorAll("input[data-signing-for]");
    if (!radios.length) {
      return;
    }
    function update() {
      var chosen = document.querySelector("input[data-signing-for]:checked");
      var signer = chosen ? chosen.value : "self";
      document.querySelectorAll("[data-signer-panel]").forEach(function (panel) {
        panel.hidden = panel.dataset.signerPanel !== signer;
      });
    }
    radios.forEach(function (radio) {
      radio.addEventListener("change", update);
    });
    update();
  }

  /* "Sign and submit" says "Saving…" and cannot be tapped again while its request runs
     (the server stores one submission however often it comes); if no answer comes, the
     button is given back so the patient can try again. */
  function setUpSavingState() {
    var button = document.querySelector("#consent-form button[value=submit]");
    if (!button) {
      return;
    }
    var label = button.textContent;
    var timer = null;
    function ready() {
      window.clearTimeout(timer);
      button.disabled = false;
      button.removeAttribute("aria-busy");
      button.textContent = label;
    }
    button.form.addEventListener("submit", function (event) {
      if (event.defaultPrevented || event.submitter !== button) {
        return;
      }
      // After this event: a button disabled now would leave its value out of the post.
      window.setTimeout(function () {
        button.disabled = true;
        button.setAttribute("aria-busy", "true");
        button.textContent = button.dataset.saving || "Saving\u2026";
      }, 0);
      timer = window.setTimeout(ready, 10000);
    });
    window.addEventListener("offline", ready);
    window.addEventListener("pageshow", ready);
  }

  /* Enter in an initials box goes to the next box (then to the agreement), as a patient who
     typed their initials expects; it never sends the whole consent half done. */
  function setUpInitials() {
    var boxes = Array.prototype.slice.call(document.querySelectorAll("input[data-initials]"));
    boxes.forEach(function (box, index) {
      box.addEventListener("keydown", function (event) {
        if (event.key !== "Enter") {
          return;
        }
        event.preventDefault();
        var following = boxes[index + 1] || document.getElementById("agree");
        if (following) {
          following.focus();
        }
      });
    });
  }

  /* Show the drawing box or the typed-name fields, whichever the patient chose. */
  function setUpMethodChoice() {
    var radios = document.querySelectorAll("input[data-method]");
    if (!radios.length) {
      return;
    }
    function update() {
      var chosen = document.querySelector("input[data-method]:checked");
      var method = chosen ? chosen.value : "drawn";
      document.querySelectorAll("[data-method-panel]").forEach(function (panel) {
        panel.hidden = panel.dataset.methodPanel !== method;
      });
    }
    radios.forEach(function (radio) {
      radio.addEventListener("change", update);
    });
    update();
  }

  function setUpSignature(box) {
    var canvas = box.querySelector("canvas");
    var input = document.getElementById(box.dataset.input);
    var clear = document.querySelector("[data-signature-clear]");
    var undo = document.querySelector("[data-signature-undo]");
    var state = document.getElementById("signature-state");
    var cleared = null; // the strokes "Clear signature" took away, until the next stroke
    var pad = new window.SignaturePad(canvas, {
      minWidth: 1,
      maxWidth: 3,
      penColor: "#000",
    });
    // The size (CSS px) the current strokes were drawn at; 0 until the box is first laid out.
    var size = { width: 0, height: 0 };
    var pending = restore(input.value);

    /* Say in words whether the box holds a signature (the canvas itself says nothing). */
    function announce(message) {
      if (state && message && state.textContent !== message) {
        state.textContent = message;
      }
    }

    function store() {
      announce(pad.isEmpty() ? state && state.dataset.empty : state && state.dataset.signed);
      var value = pad.isEmpty()
        ? ""
        : JSON.stringify({ width: size.width, height: size.height, data: pad.toData() });
      if (value !== input.value) {
        input.value = value;
        // Let the page's autosave know (a hidden field fires no event of its own).
        input.dispatchEvent(new Event("change", { bubbles: true }));
      }
    }

    function scaled(groups, sx, sy) {
      return groups.map(function (group) {
        var copy = Object.assign({}, group);
        copy.points = group.points.map(function (point) {
          return { x: point.x * sx, y: point.y * sy, pressure: point.pressure, time: point.time };
        });
        return copy;
      });
    }

    function resize() {
      var rect = canvas.getBoundingClientRect();
      if (!rect.width || !rect.height) {
        return; // hidden (typed signature chosen): keep the strokes until it is shown
      }
      if (rect.width === size.width && rect.height === size.height && !pending) {
        return;
      }
      var data = pending ? pending.data : pad.toData();
      var from = pending ? pending : size;
      pending = null;
      var ratio = Math.max(window.devicePixelRatio || 1, 1);
      canvas.width = Math.round(rect.width * ratio);
      canvas.height = Math.round(rect.height * ratio);
      canvas.getContext("2d").scale(ratio, ratio);
      pad.clear();
      if (data.length && from.width && from.height) {
        pad.fromData(scaled(data, rect.width / from.width, rect.height / from.height));
      }
      size = { width: rect.width, height: rect.height };
      store();
    }

    pad.addEventListener("endStroke", function () {
      cleared = null;
      undo.hidden = true;
      store();
    });
    /* "Clear signature" can be undone until the next stroke: a slip of the finger must not
       cost a finished signature. */
    clear.addEventListener("click", function () {
      if (!pad.isEmpty()) {
        cleared = { width: size.width, height: size.height, data: pad.toData() };
      }
      pad.clear();
      store();
      if (cleared) {
        undo.hidden = false;
        announce(state && state.dataset.cleared);
      }
    });
    undo.addEventListener("click", function () {
      if (cleared && size.width && size.height) {
        pad.fromData(scaled(cleared.data, size.width / cleared.width, size.height / cleared.height));
      }
      cleared = null;
      undo.hidden = true;
      store();
      clear.focus();
    });
    if (window.ResizeObserver) {
      new ResizeObserver(resize).observe(canvas);
    }
    window.addEventListener("resize", resize);
    window.addEventListener("orientationchange", resize);
    resize();
  }

  /* A signature the server kept after another field had a problem: draw it again. */
  function restore(value) {
    if (!value) {
      return null;
    }
    try {
      var saved = JSON.parse(value);
      if (saved && saved.width && saved.height && Array.isArray(saved.data)) {
        return saved;
      }
    } catch (error) {
      /* not ours: start with an empty box */
    }
    return null;
  }
})();
