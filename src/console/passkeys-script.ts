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
  const $ = (id) => document.getElementById(id);
  const page = document.body.dataset.page;
  if (page !== "passkeys" && page !== "signIn") return;
  let csrfToken = null;

  function showMessage(text) {
    $("error").textContent = "";
    $("message").textContent = text;
  }

  function showError(error) {
    $("message").textContent = "";
    const box = $("error");
    let text = error.message;
    if (error.name === "NotAllowedError" || error.name === "AbortError") {
      text = "The passkey request was cancelled or timed out.";
    } else if (error.name === "InvalidStateError") {
      text = "This device already holds a passkey for your account.";
    }
    if (error.retryAfter) text += " Try again in " + error.retryAfter + " seconds.";
    box.textContent = text;
    box.tabIndex = -1;
    box.focus();
  }

  function goToSignIn() {
    location.assign("/console/sign-in?returnTo=" + encodeURIComponent(location.pathname));
  }

  /** Only a path inside the console: never an open redirect. */
  function returnTo() {
    const wanted = new URLSearchParams(location.search).get("returnTo");
    if (!wanted) return "/console";
    const url = new URL(wanted, location.origin);
    const inside = url.origin === location.origin && (url.pathname === "/console" || url.pathname.startsWith("/console/"));
    return inside && !url.pathname.startsWith("/console/sign-in") ? url.pathname + url.search : "/console";
  }

  async function csrf() {
    if (csrfToken || page !== "passkeys") return csrfToken;
    const response = await fetch("/v1/auth/csrf", { credentials: "same-origin" });
    if (response.ok) csrfToken = (await response.json()).csrfToken;
    return csrfToken;
  }

  async function api(method, path, body) {
    const headers = { Accept: "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (method !== "GET") {
      const token = await csrf();
      if (token) headers["X-CSRF-Token"] = token;
    }
    const response = await fetch(path, {
      method,
      headers,
      credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (response.status === 204) return null;
    const data = await response.json().catch(() => null);
    if (response.ok) return data;
    if (page === "passkeys" && response.status === 401 && data && data.code === "unauthorized") {
      goToSignIn();
      await new Promise(() => {});
    }
    const error = new Error((data && data.detail) || "The request failed (HTTP " + response.status + ").");
    error.retryAfter = response.headers.get("Retry-After");
    throw error;
  }

  const supported = () =>
    typeof window.PublicKeyCredential === "function" &&
    typeof PublicKeyCredential.parseCreationOptionsFromJSON === "function" &&
    typeof PublicKeyCredential.parseRequestOptionsFromJSON === "function";

  async function busy(button, action) {
    button.disabled = true;
    try {
      await action();
    } catch (error) {
      showError(error);
    } finally {
      button.disabled = false;
    }
  }

  const when = (iso) => (iso ? new Date(iso).toLocaleString() : "never");

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
      row.append(cell(passkey.name), cell(when(passkey.createdAt)), cell(when(passkey.lastUsedAt)));
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
        if (!supported()) throw new Error("This browser cannot create passkeys.");
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
  else passkeysPage().catch(showError);
})();
`;
