/* The page's own script: small improvements on pages that already work without it.
   Loaded with <script src defer> after htmx; the CSP is script-src 'self' (no inline code,
   no eval, no hx-on), so everything here is an event listener.

   - "Show" buttons on password fields;
   - links in an error summary move focus to their field;
   - after an htmx swap: the title says "Error: " while an error summary is shown, the
     freshest CSRF token is used by the whole page, a new strength hint replaces the stale
     error under its field, and times are shown in the reader's time zone;
   - a whole page answered to an htmx request (an error page) replaces <main>, not a form;
   - the dashboard's "Check again" reloads its panels in place;
   - of several HX-Redirects answered at once, only the first is followed, and a page that
     follows one sends nothing more. */
(function () {
  "use strict";

  var ERROR_PREFIX = "Error: ";

  /* --- Show / hide a password ---------------------------------------------------- */

  /* GOV.UK's password input: the button says what it will do ("Show" / "Hide"), with no
     aria-pressed (a name that changes with the state would contradict a pressed state). */
  function isShown(button) {
    return button.getAttribute("data-shown") === "true";
  }

  function setShown(button, shown) {
    var input = document.getElementById(button.getAttribute("aria-controls"));
    if (!input) return;
    input.type = shown ? "text" : "password";
    button.textContent = shown ? "Hide" : "Show";
    var label = button.getAttribute("aria-label") || "";
    button.setAttribute("aria-label", label.replace(/^(Show|Hide) /, shown ? "Hide " : "Show "));
    button.setAttribute("data-shown", shown ? "true" : "false");
  }

  function enableToggles(root) {
    var buttons = root.querySelectorAll ? root.querySelectorAll("button[data-show-password]") : [];
    for (var i = 0; i < buttons.length; i++) buttons[i].hidden = false;
  }

  document.addEventListener("click", function (event) {
    var target = event.target instanceof Element ? event.target : null;
    if (!target) return;
    var toggle = target.closest("button[data-show-password]");
    if (toggle) {
      setShown(toggle, !isShown(toggle));
      return;
    }
    var link = target.closest(".error-summary a[href^='#']");
    if (link) {
      var field = document.getElementById(link.getAttribute("href").slice(1));
      if (field) {
        event.preventDefault();
        var label = document.querySelector("label[for='" + field.id + "']");
        (label || field).scrollIntoView({ block: "center" });
        field.focus({ preventScroll: true });
      }
    }
  });

  /* A password is never sent, nor remembered by the browser, as visible text. */
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement)) return;
    if (form.hasAttribute("data-htmx-refresh") && window.htmx) {
      event.preventDefault(); // the panels reload themselves (hx-trigger: click from)
      return;
    }
    var toggles = form.querySelectorAll("button[data-show-password][data-shown='true']");
    for (var i = 0; i < toggles.length; i++) setShown(toggles[i], false);
  }, true);

  /* --- Times in the reader's own time zone -------------------------------------------- */

  var STYLES = {
    long: { weekday: "long", day: "numeric", month: "long", year: "numeric",
            hour: "numeric", minute: "2-digit", timeZoneName: "short" },
    short: { day: "numeric", month: "short", year: "numeric",
             hour: "numeric", minute: "2-digit", timeZoneName: "short" },
    date: { weekday: "long", day: "numeric", month: "long", year: "numeric" }
  };
  var formatters = {};
  try {
    Object.keys(STYLES).forEach(function (style) {
      formatters[style] = new Intl.DateTimeFormat(undefined, STYLES[style]);
    });
  } catch (e) {
    formatters = {};
  }

  function localTimes(root) {
    if (!root.querySelectorAll) return;
    var times = root.querySelectorAll("time[data-local][datetime]");
    for (var i = 0; i < times.length; i++) {
      var format = formatters[times[i].getAttribute("data-local")] || formatters.long;
      var when = new Date(times[i].getAttribute("datetime"));
      if (format && !isNaN(when.getTime())) {
        if (!times[i].title) times[i].title = times[i].textContent; // the UTC words
        times[i].textContent = format.format(when);
      }
    }
  }

  /* --- After htmx swaps ------------------------------------------------------------ */

  function syncTitle() {
    var title = document.title;
    var hasErrors = !!document.querySelector("main .error-summary");
    var bare = title.indexOf(ERROR_PREFIX) === 0 ? title.slice(ERROR_PREFIX.length) : title;
    document.title = hasErrors ? ERROR_PREFIX + bare : bare;
  }

  /* A fragment swapped in (a form shown again, say after its page had expired) carries a
     token for the browser's current CSRF cookie: every other form, and the header htmx
     sends, use it from now on. */
  function syncToken(root) {
    var fresh = root.querySelector ? root.querySelector("input[name='_csrf_token']") : null;
    if (!fresh || !fresh.value) return;
    var inputs = document.querySelectorAll("input[name='_csrf_token']");
    for (var i = 0; i < inputs.length; i++) inputs[i].value = fresh.value;
    document.body.setAttribute("hx-headers", JSON.stringify({ "x-csrftoken": fresh.value }));
  }

  /* The strength hint is the up-to-date word on a new password: once it has been updated,
     the error shown after the last submit no longer stands under the field; the field is
     marked invalid for as long as the hint says the password will be refused. */
  function supersedeError(hint) {
    var name = hint.id.replace(/-hint$/, "");
    var input = document.getElementById(name);
    var error = document.getElementById(name + "-error");
    if (!input) return;
    var refused = !!hint.querySelector(".strength-text.refused");
    if (error) {
      error.remove();
      var described = (input.getAttribute("aria-describedby") || "").split(/\s+/)
        .filter(function (id) { return id && id !== name + "-error"; });
      input.setAttribute("aria-describedby", described.join(" "));
    } else if (!input.hasAttribute("aria-invalid")) {
      return; // never marked invalid: the hint alone speaks
    }
    var field = input.closest(".field");
    if (field) field.classList.toggle("invalid", refused);
    if (refused) input.setAttribute("aria-invalid", "true");
    else input.removeAttribute("aria-invalid");
  }

  document.addEventListener("htmx:configRequest", function (event) {
    var detail = event.detail || {};
    var token = null;
    if (detail.formData && detail.formData.get) token = detail.formData.get("_csrf_token");
    if (token && detail.headers) {
      // The token of the form being sent is the freshest this page has.
      Object.keys(detail.headers).forEach(function (name) {
        if (name.toLowerCase() === "x-csrftoken") delete detail.headers[name];
      });
      detail.headers["x-csrftoken"] = token;
    }
  });

  /* Several htmx requests answered with HX-Redirect at once (the dashboard's panels, when
     the session has ended): follow the first only. Each further one would restart the
     navigation, and the one-shot notice ("Your session has ended") would be read by a
     page nobody sees. */
  var redirecting = false;
  window.addEventListener("pageshow", function () {
    redirecting = false; // back on this page (a cancelled navigation, the back button)
  });
  document.addEventListener("htmx:beforeOnLoad", function (event) {
    var xhr = event.detail && event.detail.xhr;
    if (!xhr || !xhr.getResponseHeader("HX-Redirect")) return;
    if (redirecting) {
      event.preventDefault();
      return;
    }
    redirecting = true;
  });

  /* A page that follows an HX-Redirect is on its way out, and when the answer signed in or
     out, its CSRF token has been replaced: a request it sent now (a strength hint whose
     300 ms had not run out when the form was sent) would be refused with a 403 while the
     next page loads. It sends none. */
  document.addEventListener("htmx:beforeRequest", function (event) {
    if (redirecting) event.preventDefault();
  });

  document.addEventListener("htmx:beforeSwap", function (event) {
    var detail = event.detail || {};
    var text = typeof detail.serverResponse === "string" ? detail.serverResponse : "";
    if (!/<main[\s>]/i.test(text)) return;
    // A whole page (an error page: expired, not found, busy) in answer to a fragment
    // request: show it in place of <main>, never inside a form or a list.
    var elt = detail.requestConfig && detail.requestConfig.elt;
    var main = document.getElementById("main");
    if (!main || !elt || elt.tagName !== "FORM") {
      detail.shouldSwap = false;
      return;
    }
    detail.shouldSwap = true;
    detail.isError = false;
    detail.target = main;
    detail.selectOverride = "#main";
    detail.swapOverride = "outerHTML";
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail && event.detail.target;
    if (target && target.classList && target.classList.contains("strength")) supersedeError(target);
  });

  document.addEventListener("htmx:load", function (event) {
    var root = event.target || document;
    enableToggles(root);
    localTimes(root);
    if (root !== document.body) syncToken(root);
    syncTitle();
    if (root.id === "main" && !root.querySelector("[autofocus]")) root.focus(); // a page swapped in
  });

  function start() {
    enableToggles(document);
    localTimes(document);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
