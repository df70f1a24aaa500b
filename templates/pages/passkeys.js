// The pages' only script: the WebAuthn calls of signing in with a passkey (/login) and adding
// one (/account). Everything else on the pages works without it. Served from /assets under
// the pages' Content-Security-Policy (script-src 'self', no inline script).
(function () {
  "use strict";
  if (!window.PublicKeyCredential || !navigator.credentials) {
    return;
  }

  function decode(text) {
    var b64 = text.replace(/-/g, "+").replace(/_/g, "/");
    var bin = atob(b64 + "===".slice((b64.length + 3) % 4));
    var bytes = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) {
      bytes[i] = bin.charCodeAt(i);
    }
    return bytes.buffer;
  }

  function encode(buffer) {
    var bytes = new Uint8Array(buffer);
    var bin = "";
    for (var i = 0; i < bytes.length; i++) {
      bin += String.fromCharCode(bytes[i]);
    }
    return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function descriptors(list) {
    return (list || []).map(function (c) {
      return Object.assign({}, c, { id: decode(c.id) });
    });
  }

  // The options as the server sent them (JSON, binary as base64url): the browser's own parser
  // where it has one (WebAuthn Level 3), the same conversion by hand otherwise.
  function creationOptions(json) {
    if (PublicKeyCredential.parseCreationOptionsFromJSON) {
      return PublicKeyCredential.parseCreationOptionsFromJSON(json);
    }
    return Object.assign({}, json, {
      challenge: decode(json.challenge),
      user: Object.assign({}, json.user, { id: decode(json.user.id) }),
      excludeCredentials: descriptors(json.excludeCredentials),
    });
  }

  function requestOptions(json) {
    if (PublicKeyCredential.parseRequestOptionsFromJSON) {
      return PublicKeyCredential.parseRequestOptionsFromJSON(json);
    }
    return Object.assign({}, json, {
      challenge: decode(json.challenge),
      allowCredentials: descriptors(json.allowCredentials),
    });
  }

  function credentialJSON(credential) {
    if (typeof credential.toJSON === "function") {
      return credential.toJSON();
    }
    var r = credential.response;
    var response = { clientDataJSON: encode(r.clientDataJSON) };
    if (r.attestationObject) {
      response.attestationObject = encode(r.attestationObject);
      response.transports = r.getTransports ? r.getTransports() : [];
    } else {
      response.authenticatorData = encode(r.authenticatorData);
      response.signature = encode(r.signature);
      if (r.userHandle) {
        response.userHandle = encode(r.userHandle);
      }
    }
    return {
      id: credential.id,
      rawId: encode(credential.rawId),
      type: credential.type,
      response: response,
      clientExtensionResults: credential.getClientExtensionResults(),
    };
  }

  function post(url, body, type) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": type, Accept: "application/json" },
      body: body,
    }).then(function (answer) {
      return answer.json().then(function (data) {
        if (!answer.ok) {
          throw data;
        }
        return data;
      });
    });
  }

  function submitWith(action, fields) {
    var form = document.createElement("form");
    form.method = "post";
    form.action = action;
    form.hidden = true;
    Object.keys(fields).forEach(function (name) {
      var input = document.createElement("input");
      input.type = "hidden";
      input.name = name;
      input.value = fields[name];
      form.appendChild(input);
    });
    document.body.appendChild(form);
    form.submit();
  }

  function showError(form, message) {
    var box = form.querySelector("[data-passkey-error]");
    if (!box) {
      box = document.createElement("p");
      box.className = "alert";
      box.setAttribute("role", "alert");
      box.setAttribute("data-passkey-error", "");
      form.insertBefore(box, form.firstChild);
    }
    box.textContent = message;
  }

  // /login: "Sign in with a passkey" (hidden until this script shows it).
  var signIn = document.querySelector("form[data-passkey=sign-in]");
  if (signIn) {
    signIn.hidden = false;
    signIn.addEventListener("submit", function (event) {
      event.preventDefault();
      post("/api/v1/login/passkey/options", "{}", "application/json")
        .then(function (started) {
          return navigator.credentials
            .get({ publicKey: requestOptions(started.publicKey) })
            .then(function (credential) {
              submitWith(signIn.action, {
                challenge_id: started.challenge_id,
                credential: JSON.stringify(credentialJSON(credential)),
              });
            });
        })
        .catch(function () {
          showError(signIn, signIn.getAttribute("data-error"));
        });
    });
  }

  // The second-factor step after a password: "Use a passkey instead" (the account's own
  // passkeys; the step's token names the options).
  var second = document.querySelector("form[data-passkey=second-factor]");
  if (second) {
    second.hidden = false;
    second.addEventListener("submit", function (event) {
      event.preventDefault();
      var token = second.querySelector("input[name=mfa_token]").value;
      post("/api/v1/login/mfa/passkey/options", JSON.stringify({ mfa_token: token }), "application/json")
        .then(function (started) {
          return navigator.credentials
            .get({ publicKey: requestOptions(started.publicKey) })
            .then(function (credential) {
              submitWith(second.action, {
                mfa_token: token,
                credential: JSON.stringify(credentialJSON(credential)),
              });
            });
        })
        .catch(function () {
          showError(second, second.getAttribute("data-error"));
        });
    });
  }

  // /account: "Add a passkey" checks the password, then asks the authenticator.
  var add = document.getElementById("passkey-add");
  if (add) {
    add.addEventListener("submit", function (event) {
      event.preventDefault();
      var fields = new URLSearchParams(new FormData(add));
      post(add.action, fields.toString(), "application/x-www-form-urlencoded")
        .then(function (started) {
          return navigator.credentials
            .create({ publicKey: creationOptions(started.publicKey) })
            .then(function (credential) {
              submitWith("/account/passkeys", {
                challenge_id: started.challenge_id,
                credential: JSON.stringify(credentialJSON(credential)),
                name: fields.get("name") || "",
              });
            });
        })
        .catch(function (problem) {
          var message = problem && problem.message ? problem.message : add.closest("[data-error]").getAttribute("data-error");
          showError(add, message);
        });
    });
  }
})();
