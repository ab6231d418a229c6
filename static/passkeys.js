/* Passkeys: the buttons that need the browser's WebAuthn API. Loaded with <script src
   defer> like app.js (the CSP is script-src 'self': no inline code). Every page works
   without it: the buttons stay hidden and a note says JavaScript is needed to add one.

   The browser's own JSON forms of WebAuthn do the encoding (no client library):
   PublicKeyCredential.parseCreationOptionsFromJSON / parseRequestOptionsFromJSON for the
   server's options, PublicKeyCredential.toJSON() for what goes back.

   [data-passkey="sign-in"]  /login: sign in with a passkey, then go to data-next
   [data-passkey="reauth"]   /reauth: confirm it's you with a passkey, then go to data-next
   [data-passkey="register"] /account/passkeys: a form with the new passkey's name */
(function () {
  "use strict";

  var ROUTES = {
    "sign-in": ["/login/passkey/options", "/login/passkey"],
    reauth: ["/reauth/passkey/options", "/reauth/passkey"],
    register: ["/account/passkeys/options", "/account/passkeys"],
  };
  var FAILED = "The passkey could not be used. Please try again.";

  function supported() {
    return Boolean(
      window.PublicKeyCredential &&
        PublicKeyCredential.parseCreationOptionsFromJSON &&
        PublicKeyCredential.parseRequestOptionsFromJSON &&
        navigator.credentials
    );
  }

  function csrfToken() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["x-csrftoken"] || "";
    } catch (e) {
      return "";
    }
  }

  /* POST JSON; null when the answer sent the browser elsewhere ("Confirm it's you"). */
  function post(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
      body: JSON.stringify(body || {}),
    }).then(function (response) {
      if (response.redirected) {
        window.location.assign(response.url);
        return null;
      }
      return response.json().then(
        function (data) { return { ok: response.ok, data: data || {} }; },
        function () { return { ok: response.ok, data: {} }; }
      );
    });
  }

  function say(box, message) {
    var out = box.querySelector("[data-passkey-error]");
    if (!out) return;
    out.textContent = message || "";
    out.hidden = !message;
  }

  function ceremony(box) {
    var kind = box.getAttribute("data-passkey");
    var routes = ROUTES[kind];
    var button = box.querySelector("[data-passkey-start]");
    var extra = {};
    if (kind === "register") {
      var name = box.querySelector("input[name=name]");
      extra.name = name ? name.value : "";
    } else {
      extra.next = box.getAttribute("data-next") || "";
    }
    say(box, "");
    if (button) button.disabled = true;
    return post(routes[0], {})
      .then(function (answer) {
        if (answer === null) return null;
        if (!answer.ok) throw new Error(answer.data.error || FAILED);
        var options = answer.data.options;
        return kind === "register"
          ? navigator.credentials.create({ publicKey: PublicKeyCredential.parseCreationOptionsFromJSON(options) })
          : navigator.credentials.get({ publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(options) });
      })
      .then(function (credential) {
        if (!credential) return null;
        extra.credential = credential.toJSON();
        return post(routes[1], extra);
      })
      .then(function (answer) {
        if (answer === null) return;
        if (!answer.ok) throw new Error(answer.data.error || FAILED);
        window.location.assign(answer.data.redirect || "/dashboard");
      })
      .catch(function (error) {
        /* NotAllowedError: the person cancelled, or the browser refused: say so plainly. */
        var message = error && error.name === "NotAllowedError" ? FAILED : (error && error.message) || FAILED;
        say(box, message);
      })
      .then(function () {
        if (button) button.disabled = false;
      });
  }

  function start() {
    var boxes = document.querySelectorAll("[data-passkey]");
    if (!boxes.length || !supported()) return;
    for (var i = 0; i < boxes.length; i++) {
      var box = boxes[i];
      box.hidden = false;
      box.addEventListener(box.tagName === "FORM" ? "submit" : "click", function (event) {
        var target = event.currentTarget;
        if (target.tagName === "FORM") event.preventDefault();
        else if (!event.target.closest("[data-passkey-start]")) return;
        ceremony(target);
      });
    }
    var notes = document.querySelectorAll("[data-passkey-needs-js]");
    for (var j = 0; j < notes.length; j++) notes[j].hidden = true;
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
