import { CONSOLE_ROOT } from "./paths";

export const PASSKEYS_SCRIPT_PATH = `${CONSOLE_ROOT}/assets/passkeys.js`;

/**
 * The passkey part of the console (issue 17), served at /console/assets/passkeys.js next to the
 * console's script: the passkeys page, and "Sign in with a passkey" on the sign-in page. The
 * browser's own WebAuthn JSON helpers (PublicKeyCredential.parseCreationOptionsFromJSON,
 * parseRequestOptionsFromJSON, credential.toJSON()) do the encoding, so no library is needed.
 * Plain JavaScript, no backticks or template placeholders (it is wrapped in a template literal).
 */
export const passkeysScript = String.raw`"use strict";
(() => {
  const page = document.body.dataset.page;
  if (page !== "passkeys" && page !== "signIn") return;
  // console.js (loaded first) owns the API calls, the CSRF token and how problems are shown.
  const { $, api, busy: runBusy, showError, showMessage, notice, when, returnTo } = window.imagebotConsole;

  /** A refused or failed WebAuthn ceremony, in words; anything else as it is. */
  function passkeyError(error) {
    if (error.name === "NotAllowedError" || error.name === "AbortError") {
      return notice("The passkey request was cancelled or timed out.");
    }
    if (error.name === "InvalidStateError") return notice("This device already holds a passkey for your account.");
    return error;
  }

  const busy = (button, action) =>
    runBusy(button, () =>
      action().catch((error) => {
        throw passkeyError(error);
      }),
    );

  const supported = () =>
    typeof window.PublicKeyCredential === "function" &&
    typeof PublicKeyCredential.parseCreationOptionsFromJSON === "function" &&
    typeof PublicKeyCredential.parseRequestOptionsFromJSON === "function";

  function cell(text) {
    const td = document.createElement("td");
    td.textContent = text;
    return td;
  }

  function button(text, label, action) {
    const b = document.createElement("button");
    b.type = "button";
    b.textContent = text;
    b.setAttribute("aria-label", label);
    b.addEventListener("click", () => busy(b, action));
    return b;
  }

  async function loadPasskeys() {
    const { data } = await api("GET", "/v1/me/passkeys?limit=100");
    const body = $("passkeys");
    body.textContent = "";
    for (const passkey of data) {
      const row = document.createElement("tr");
      row.dataset.passkeyId = passkey.id;
      const lastUsed = passkey.lastUsedAt ? when(passkey.lastUsedAt) : "never";
      row.append(cell(passkey.name), cell(when(passkey.createdAt)), cell(lastUsed));
      const actions = document.createElement("td");
      const rename = document.createElement("input");
      rename.type = "text";
      rename.value = passkey.name;
      rename.setAttribute("aria-label", "New name for passkey " + passkey.name);
      actions.append(
        rename,
        button("Rename", "Rename passkey " + passkey.name, async () => {
          await api("PATCH", "/v1/me/passkeys/" + encodeURIComponent(passkey.id), { name: rename.value.trim() });
          await loadPasskeys();
          showMessage("Passkey renamed.");
        }),
        button("Remove", "Remove passkey " + passkey.name, async () => {
          await api("DELETE", "/v1/me/passkeys/" + encodeURIComponent(passkey.id));
          await loadPasskeys();
          showMessage("Passkey removed: it no longer signs in.");
        }),
      );
      row.append(actions);
      body.append(row);
    }
  }

  async function passkeysPage() {
    const form = $("add-passkey-form");
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      busy($("add-passkey"), async () => {
        if (!supported()) throw notice("This browser cannot create passkeys.");
        const password = $("passkey-password").value;
        const options = await api("POST", "/v1/me/passkeys/registration-options", password ? { password } : {});
        const credential = await navigator.credentials.create({
          publicKey: PublicKeyCredential.parseCreationOptionsFromJSON(options),
        });
        const body = { response: credential.toJSON() };
        const name = $("passkey-name").value.trim();
        if (name) body.name = name;
        await api("POST", "/v1/me/passkeys", body);
        $("passkey-password").value = "";
        $("passkey-name").value = "";
        await loadPasskeys();
        showMessage("Passkey added: you can sign in with it now.");
      });
    });
    await loadPasskeys();
  }

  function signInPage() {
    const section = $("other-sign-in-methods");
    const start = $("passkey-sign-in");
    if (!section || !start || !supported()) return;
    section.hidden = false;
    start.hidden = false;
    start.addEventListener("click", () =>
      busy(start, async () => {
        const { challengeId, options } = await api("POST", "/v1/auth/passkey/options");
        const credential = await navigator.credentials.get({
          publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(options),
        });
        await api("POST", "/v1/auth/passkey", { challengeId, response: credential.toJSON(), session: "cookie" });
        location.assign(returnTo());
      }),
    );
  }

  if (page === "signIn") signInPage();
  else passkeysPage().catch((error) => showError(passkeyError(error)));
})();
`;
