// Latchkey's pages work without this script; it only adds to them (the CSP allows scripts from
// here, never inline ones). Loaded with `defer` on every page.
(function () {
  "use strict";
  var script = document.currentScript;

  // A "Show" button beside every password field: shows what was typed, and hides it again.
  var show = script && script.getAttribute("data-show");
  var hide = script && script.getAttribute("data-hide");
  if (show && hide) {
    var fields = document.querySelectorAll("input[type=password]");
    for (var i = 0; i < fields.length; i++) {
      (function (field) {
        var button = document.createElement("button");
        button.type = "button";
        button.className = "reveal";
        button.textContent = show;
        button.setAttribute("aria-pressed", "false");
        if (field.id) button.setAttribute("aria-controls", field.id);
        button.addEventListener("click", function () {
          var shown = field.type === "password";
          field.type = shown ? "text" : "password";
          if (shown) field.setAttribute("data-revealed", "");
          else field.removeAttribute("data-revealed");
          button.textContent = shown ? hide : show;
          button.setAttribute("aria-pressed", shown ? "true" : "false");
          field.focus();
        });
        var wrap = document.createElement("div");
        wrap.className = "reveal-wrap";
        field.parentNode.insertBefore(wrap, field);
        wrap.appendChild(field);
        wrap.appendChild(button);
      })(fields[i]);
    }
    // A shown password goes back to dots before the form is sent (and so before the browser
    // would offer to remember it as plain text).
    document.addEventListener("submit", function () {
      var shown = document.querySelectorAll("input[data-revealed]");
      for (var j = 0; j < shown.length; j++) shown[j].type = "password";
    }, true);
  }

  // A signed-in page that the browser brings back from its back/forward cache (Back after
  // signing out) is asked for again: the server then answers as it would now, with the log-in
  // page. `Cache-Control: no-store` alone no longer keeps Chromium from restoring it.
  if (document.body && document.body.hasAttribute("data-private")) {
    window.addEventListener("pageshow", function (event) {
      if (event.persisted) {
        document.body.hidden = true;
        window.location.reload();
      }
    });
  }
})();
