/**
 * The console's browser script, served at /console/assets/console.js with the page's CSP nonce.
 * Kept as text in a module so that it needs no build step and loads the same way in the wrangler
 * bundle and in the vitest pool. Plain modern JavaScript: no backticks and no template
 * placeholders (this file wraps it in a template literal).
 */
export const consoleScript = String.raw`"use strict";
// The account console's browser script. No build step, no dependency. Each page runs one
// function below (chosen by <body data-page>), which calls the /v1 API with fetch and the cookie
// session. Data is written with textContent and DOM calls only, never as HTML.
(() => {
  const $ = (id) => document.getElementById(id);
  const needsSession = document.body.dataset.session === "required";
  let csrfToken = null;

  /** A problem+json answer of the API, kept whole so the page can show its detail. */
  class Problem extends Error {
    constructor(status, body, retryAfter) {
      super((body && body.detail) || "The request failed (HTTP " + status + ").");
      this.status = status;
      this.code = body && body.code;
      this.errors = (body && body.errors) || [];
      this.retryAfter = retryAfter;
    }
  }

  function showMessage(text) {
    $("error").textContent = "";
    $("message").textContent = text;
  }

  /** The problem's detail, each field error, and for 429/423 how long to wait. */
  function showError(error) {
    const box = $("error");
    $("message").textContent = "";
    box.textContent = "";
    const known = error instanceof Problem || error.name === "Notice";
    const lines = [known ? error.message : "Something went wrong: " + error.message];
    if (error instanceof Problem) {
      for (const item of error.errors) lines.push(item.path + ": " + item.message);
      if ((error.status === 429 || error.status === 423) && error.retryAfter) {
        lines.push("Try again in " + waitText(Number(error.retryAfter)) + ".");
      }
    }
    for (const line of lines) {
      const p = document.createElement("p");
      p.textContent = line;
      box.append(p);
    }
    box.focus();
  }

  function waitText(seconds) {
    if (!Number.isFinite(seconds)) return "a while";
    if (seconds < 120) return seconds + " seconds";
    return Math.ceil(seconds / 60) + " minutes";
  }

  function goToSignIn() {
    const back = location.pathname + location.search;
    location.assign("/console/sign-in?returnTo=" + encodeURIComponent(back));
  }

  /**
   * The CSRF token of this cookie session, asked once per page load (it lives as long as the
   * session). Only signed-in pages have a session to ask about; asking also proves it is alive.
   */
  async function csrf() {
    if (csrfToken || !needsSession) return csrfToken;
    const response = await fetch("/v1/auth/csrf", { credentials: "same-origin" });
    if (response.status === 401) {
      goToSignIn();
      await new Promise(() => {}); // the page is leaving: nothing more to do or show
    }
    if (response.ok) csrfToken = (await response.json()).csrfToken;
    return csrfToken;
  }

  /** A message for the user that is not an API problem (a link without its token, say). */
  function notice(text) {
    const error = new Error(text);
    error.name = "Notice";
    return error;
  }

  /**
   * Calls the API. Non-GET requests carry X-CSRF-Token when there is a session. A 401
   * "unauthorized" on a signed-in page means the session is gone: back to sign-in.
   */
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
    const problem = new Problem(response.status, data, response.headers.get("Retry-After"));
    if (needsSession && response.status === 401 && problem.code === "unauthorized") {
      goToSignIn();
      await new Promise(() => {}); // the page is leaving: nothing more to do or show
    }
    throw problem;
  }

  /** Runs "action" on submit (the form's own validation first); its button is busy meanwhile. */
  function onSubmit(formId, action) {
    const form = $(formId);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      await busy(form.querySelector("button[type=submit]"), () => action(form));
    });
  }

  function onClick(button, action) {
    button.addEventListener("click", () => busy(button, action));
  }

  async function busy(button, action) {
    if (button) button.disabled = true;
    try {
      await action();
    } catch (error) {
      showError(error);
    } finally {
      if (button) button.disabled = false;
    }
  }

  const value = (id) => $(id).value;
  const checked = (id) => $(id).checked;
  const when = (iso) => (iso ? new Date(iso).toLocaleString() : "—");

  function cell(row, text) {
    const td = document.createElement("td");
    td.textContent = text === null || text === undefined || text === "" ? "—" : String(text);
    row.append(td);
    return td;
  }

  function button(text, label, action, secondary) {
    const b = document.createElement("button");
    b.type = "button";
    b.textContent = text;
    if (label) b.setAttribute("aria-label", label);
    if (secondary) b.className = "secondary";
    onClick(b, action);
    return b;
  }

  /** Every page of a paginated list ("{data, nextCursor}"). */
  async function listAll(path) {
    const items = [];
    let cursor = null;
    do {
      const sep = path.includes("?") ? "&" : "?";
      const page = await api("GET", path + sep + "limit=100" + (cursor ? "&cursor=" + encodeURIComponent(cursor) : ""));
      items.push(...page.data);
      cursor = page.nextCursor;
    } while (cursor);
    return items;
  }

  /** Reads a one-time value ("?token=") and takes it out of the address bar and the history. */
  function takeQueryToken() {
    const url = new URL(location.href);
    const token = url.searchParams.get("token");
    if (token) {
      url.searchParams.delete("token");
      history.replaceState(null, "", url.pathname + url.search);
    }
    return token;
  }

  /** Only a path inside the console: never an open redirect. */
  function returnTo(wanted = new URLSearchParams(location.search).get("returnTo")) {
    if (!wanted) return "/console";
    const url = new URL(wanted, location.origin);
    const inside = url.origin === location.origin && (url.pathname === "/console" || url.pathname.startsWith("/console/"));
    return inside && !url.pathname.startsWith("/console/sign-in") ? url.pathname + url.search : "/console";
  }

  /** Copies text from the page's memory to the clipboard, and says so. */
  function copyButton(buttonId, text) {
    const b = $(buttonId);
    const fresh = b.cloneNode(true); // drop the previous value's listener
    b.replaceWith(fresh);
    onClick(fresh, async () => {
      await navigator.clipboard.writeText(text());
      showMessage("Copied to the clipboard.");
    });
  }

  /** One-time values leave the page with the user (and never come back from the back/forward cache). */
  function forgetOnLeave(...ids) {
    window.addEventListener("pagehide", () => {
      for (const id of ids) $(id).textContent = "";
    });
  }

  /** What a provider sign-in's "?error=" code means for the person who sees it. */
  const providerErrors = {
    invalid_state: "The sign-in took too long, or was started in another browser. Please start again.",
    provider_denied: "The provider did not sign you in (cancelled or refused).",
    provider_unavailable: "The provider could not be reached. Please try again later.",
    code_exchange_failed: "The provider's answer could not be used. Please start again.",
    invalid_id_token: "The provider's answer did not pass our checks. Please start again.",
    email_unverified: "Your email address at the provider is not verified: verify it there, then try again.",
    account_exists:
      "An account with this email already exists. Sign in with it, then link the provider under Sign-in methods.",
    identity_taken: "That provider account is already linked to another ImageBot account.",
    too_many_attempts: "Too many failed sign-ins from your address. Please wait, then try again.",
    password_reset_required:
      "Your password must be reset before you can sign in: use the link we mailed you, or Forgot password.",
  };

  /** Shows the "?error=" a provider flow came back with, as text (the code is never echoed as markup). */
  function showProviderError() {
    const code = new URLSearchParams(location.search).get("error");
    if (code) showError(notice(providerErrors[code] || "Signing in with the provider failed."));
  }

  /** The sign-in providers this service has (GitHub, Google, OpenID), as {id, name}. */
  async function signInProviders() {
    return (await api("GET", "/v1/auth/providers")).data;
  }

  const pages = {
    async signIn() {
      let mfaToken = null;
      let wantedPage = new URLSearchParams(location.search).get("returnTo");
      const finish = () => location.assign(returnTo(wantedPage));
      onSubmit("sign-in-form", async () => {
        const body = { email: value("email"), password: value("password"), session: "cookie" };
        const result = await api("POST", "/v1/auth/login", body);
        if (result.mfaRequired) {
          mfaToken = result.mfaToken;
          $("password-step").hidden = true;
          $("mfa-step").hidden = false;
          $("mfa-code").focus();
          return;
        }
        finish();
      });
      // An mfaToken works once: after a refused code, sign-in starts again from the password.
      const secondFactor = async (proof) => {
        try {
          await api("POST", "/v1/auth/login/mfa", { mfaToken, ...proof, session: "cookie" });
        } catch (error) {
          $("mfa-step").hidden = true;
          $("password-step").hidden = false;
          $("password").value = "";
          throw error;
        }
        finish();
      };
      onSubmit("mfa-code-form", () => secondFactor({ code: value("mfa-code").trim() }));
      onSubmit("backup-code-form", () => secondFactor({ backupCode: value("backup-code").trim() }));

      showProviderError();
      // Back from a provider with 2FA on: the mfaToken comes in the fragment (never sent to a
      // server, so never in a log or a Referer) and leaves the address bar at once.
      const fragment = new URLSearchParams(location.hash.slice(1));
      if (fragment.get("mfaToken")) {
        mfaToken = fragment.get("mfaToken");
        wantedPage = fragment.get("returnTo");
        history.replaceState(null, "", location.pathname + location.search);
        $("password-step").hidden = true;
        $("mfa-step").hidden = false;
        $("mfa-code").focus();
      }
      const providers = await signInProviders();
      const others = $("other-sign-in-methods");
      for (const provider of providers) {
        const link = document.createElement("a");
        link.className = "button";
        link.href =
          "/v1/auth/oauth/" + encodeURIComponent(provider.id) + "/start?returnTo=" + encodeURIComponent(returnTo(wantedPage));
        link.textContent = "Sign in with " + provider.name;
        others.append(link);
      }
      if (providers.length > 0) others.hidden = false;
    },

    async signInMethods() {
      showProviderError();
      const providers = await signInProviders();
      const names = new Map(providers.map((provider) => [provider.id, provider.name]));
      const links = $("link-providers");
      for (const provider of providers) {
        const item = document.createElement("li");
        item.append(
          button("Link " + provider.name, null, async () => {
            const { url } = await api("POST", "/v1/me/identities/" + encodeURIComponent(provider.id) + "/link");
            location.assign(url);
          }),
        );
        links.append(item);
      }
      $("no-providers").hidden = providers.length > 0;
      const load = async () => {
        const identities = await listAll("/v1/me/identities");
        const body = $("identities");
        body.textContent = "";
        for (const identity of identities) {
          const row = document.createElement("tr");
          row.dataset.identityId = identity.id;
          const name = names.get(identity.provider) || identity.provider;
          cell(row, name);
          cell(row, identity.email);
          cell(row, when(identity.createdAt));
          const actions = cell(row, "");
          actions.textContent = "";
          actions.append(
            button("Remove", "Remove the " + name + " account " + (identity.email || ""), async () => {
              await api("DELETE", "/v1/me/identities/" + encodeURIComponent(identity.id));
              showMessage("The " + name + " account is no longer linked.");
              await load();
            }, true),
          );
          body.append(row);
        }
      };
      await load();
    },

    async register() {
      onSubmit("register-form", async () => {
        const body = { email: value("email"), password: value("password"), session: "cookie" };
        if (value("name").trim()) body.name = value("name").trim();
        await api("POST", "/v1/auth/register", body);
        location.assign("/console");
      });
    },

    async verifyEmail() {
      const token = takeQueryToken();
      $("verify-progress").hidden = true;
      if (!token) return showError(notice("This link has no token. Open the link from the mail again."));
      try {
        await api("POST", "/v1/auth/email/verify", { token });
        showMessage("Your email address is verified.");
      } catch (error) {
        showError(error);
      }
    },

    async forgotPassword() {
      onSubmit("forgot-password-form", async () => {
        await api("POST", "/v1/auth/password/forgot", { email: value("email") });
        showMessage("If an account uses that address, a reset link is on its way. It works for one hour.");
      });
    },

    async resetPassword() {
      const token = takeQueryToken();
      if (!token) showError(notice("This link has no token. Open the link from the mail again."));
      onSubmit("reset-password-form", async (form) => {
        const body = { token, password: value("new-password") };
        if (checked("revoke-api-keys")) body.revokeApiKeys = true;
        await api("POST", "/v1/auth/password/reset", body);
        form.reset();
        showMessage("Your password is changed and every session has ended. Sign in with the new password.");
      });
    },

    async account() {
      const render = (me) => {
        $("account-email").textContent = me.email;
        $("email-status").textContent = me.emailVerified ? "verified" : "not verified";
        $("resend-verification").hidden = me.emailVerified;
        $("pending-email-line").hidden = !me.pendingEmail;
        $("pending-email").textContent = me.pendingEmail || "";
        $("account-name").textContent = me.name || "(none)";
        $("name").value = me.name || "";
      };
      onSubmit("name-form", async () => {
        const name = value("name").trim();
        render(await api("PATCH", "/v1/me", { name: name || null }));
        showMessage("Your name is saved.");
      });
      onSubmit("email-form", async (form) => {
        const body = { email: value("new-email"), currentPassword: value("email-current-password") };
        if (value("email-code").trim()) body.code = value("email-code").trim();
        render(await api("PATCH", "/v1/me", body));
        form.reset();
        showMessage("We mailed a confirmation link to the new address; the change happens when you follow it.");
      });
      onClick($("resend-verification"), async () => {
        await api("POST", "/v1/auth/email/verify/resend");
        showMessage("A new verification link is on its way.");
      });
      render(await api("GET", "/v1/me"));
    },

    async password() {
      onSubmit("password-form", async (form) => {
        await api("POST", "/v1/auth/password/change", {
          currentPassword: value("current-password"),
          newPassword: value("new-password"),
        });
        form.reset();
        showMessage("Your password is changed. Your other sessions have ended.");
      });
    },

    async twoFactor() {
      forgetOnLeave("totp-secret", "backup-codes");
      // Only the section that applies: turning on when 2FA is off, turning off when it is on.
      const showState = (enabled) => {
        $("enrol-step").hidden = enabled;
        $("disable-step").hidden = !enabled;
      };
      onSubmit("enrol-form", async (form) => {
        const enrolment = await api("POST", "/v1/me/2fa/totp", { password: value("enrol-password") });
        form.reset();
        $("totp-qr").src = enrolment.qrCodeSvgDataUri;
        $("totp-secret").textContent = enrolment.secret;
        $("enrol-step").hidden = true;
        $("confirm-step").hidden = false;
        $("totp-code").focus();
      });
      onSubmit("confirm-form", async () => {
        const result = await api("POST", "/v1/me/2fa/totp/confirm", {
          code: value("totp-code").trim(),
          endOtherSessions: checked("end-other-sessions"),
        });
        $("totp-secret").textContent = "";
        $("totp-qr").removeAttribute("src");
        $("confirm-step").hidden = true;
        const list = $("backup-codes");
        list.textContent = "";
        for (const code of result.backupCodes) {
          const item = document.createElement("li");
          item.textContent = code;
          list.append(item);
        }
        $("backup-step").hidden = false;
        $("disable-step").hidden = false;
        copyButton("copy-backup-codes", () => result.backupCodes.join("\n"));
        showMessage("Two-factor authentication is on.");
      });
      onSubmit("disable-form", async (form) => {
        await api("DELETE", "/v1/me/2fa", { password: value("disable-password"), code: value("disable-code").trim() });
        form.reset();
        showState(false);
        showMessage("Two-factor authentication is off.");
      });
      showState((await api("GET", "/v1/me")).twoFactorEnabled);
    },

    async sessions() {
      const load = async () => {
        const sessions = await listAll("/v1/sessions");
        const body = $("sessions");
        body.textContent = "";
        for (const session of sessions) {
          const row = document.createElement("tr");
          row.dataset.sessionId = session.id;
          row.dataset.current = String(session.current);
          cell(row, when(session.createdAt));
          cell(row, when(session.lastSeenAt));
          cell(row, session.ip);
          cell(row, session.userAgent);
          cell(row, session.kind);
          cell(row, session.signInMethod);
          const actions = cell(row, "");
          if (session.current) {
            actions.textContent = "This session";
          } else {
            actions.textContent = "";
            actions.append(
              button("Revoke", "Revoke session " + session.id, async () => {
                await api("DELETE", "/v1/sessions/" + encodeURIComponent(session.id));
                showMessage("The session is signed out.");
                await load();
              }),
            );
          }
          body.append(row);
        }
        return sessions;
      };
      // There is no "all but this one" route: each other session is revoked by its id, and this one stays.
      onClick($("revoke-other-sessions"), async () => {
        const others = (await listAll("/v1/sessions")).filter((session) => !session.current);
        for (const session of others) await api("DELETE", "/v1/sessions/" + encodeURIComponent(session.id));
        showMessage(others.length === 1 ? "1 other session is signed out." : others.length + " other sessions are signed out.");
        await load();
      });
      await load();
    },

    async apiKeys() {
      forgetOnLeave("new-api-key");
      const showKey = (created) => {
        $("new-api-key").textContent = created.key;
        $("new-key-step").hidden = false;
        copyButton("copy-api-key", () => created.key);
        $("new-key-heading").scrollIntoView();
      };
      const load = async () => {
        const keys = await listAll("/v1/api-keys");
        const body = $("api-keys");
        body.textContent = "";
        const now = Date.now();
        for (const key of keys) {
          const row = document.createElement("tr");
          row.dataset.keyId = key.id;
          const expired = key.expiresAt && Date.parse(key.expiresAt) <= now;
          const revoked = key.revokedAt && Date.parse(key.revokedAt) <= now;
          const live = !revoked && !expired;
          cell(row, key.name);
          cell(row, key.prefix + "…" + key.lastFour);
          cell(row, key.scopes.join(", "));
          cell(row, when(key.createdAt));
          cell(row, key.lastUsedAt ? when(key.lastUsedAt) : "never");
          cell(row, revoked ? "revoked" : expired ? "expired" : key.revokedAt ? "ends " + when(key.revokedAt) : "live");
          const actions = cell(row, "");
          actions.textContent = "";
          if (live) {
            actions.append(
              button("Roll", "Roll key " + key.name, async () => {
                showKey(await api("POST", "/v1/api-keys/" + encodeURIComponent(key.id) + "/roll", {}));
                showMessage("The key is replaced; the old one no longer works.");
                await load();
              }),
              button(
                "Revoke",
                "Revoke key " + key.name,
                async () => {
                  await api("DELETE", "/v1/api-keys/" + encodeURIComponent(key.id));
                  showMessage("The key is revoked.");
                  await load();
                },
                true,
              ),
            );
          }
          body.append(row);
        }
      };
      onSubmit("create-key-form", async (form) => {
        const scopes = ["read", "generate", "manage"].filter((scope) => checked("scope-" + scope));
        showKey(await api("POST", "/v1/api-keys", { name: value("key-name").trim(), scopes }));
        form.reset();
        showMessage("The key is created. Copy it now.");
        await load();
      });
      await load();
    },

    async auditLog() {
      let cursor = null;
      const more = $("load-more");
      const loadPage = async () => {
        const query = "?limit=25" + (cursor ? "&cursor=" + encodeURIComponent(cursor) : "");
        const page = await api("GET", "/v1/audit-log" + query);
        for (const event of page.data) {
          const row = document.createElement("tr");
          cell(row, when(event.createdAt));
          cell(row, event.type);
          cell(row, event.ip);
          $("audit-events").append(row);
        }
        cursor = page.nextCursor;
        more.hidden = !cursor;
      };
      onClick(more, loadPage);
      await loadPage();
    },

    async teams() {
      const load = async () => {
        const teams = await listAll("/v1/teams");
        const list = $("teams");
        list.textContent = "";
        for (const team of teams) {
          const item = document.createElement("li");
          const link = document.createElement("a");
          link.href = "/console/teams/" + encodeURIComponent(team.id);
          link.textContent = team.name;
          item.append(link, " (" + team.role + ")");
          list.append(item);
        }
        if (teams.length === 0) list.textContent = "You are in no team yet.";
      };
      onSubmit("create-team-form", async (form) => {
        const team = await api("POST", "/v1/teams", { name: value("team-name").trim() });
        form.reset();
        showMessage("The team " + team.name + " is created.");
        await load();
      });
      await load();
    },

    async acceptInvitation() {
      // Kept in memory only, and out of the address bar: after a sign-in detour the link is opened again.
      const token = new URLSearchParams(location.search).get("token");
      if (!token) return showError(notice("This link has no token. Open the link from the mail again."));
      onClick($("accept-invitation"), async () => {
        const team = await api("POST", "/v1/invitations/accept", { token });
        location.assign("/console/teams/" + encodeURIComponent(team.id));
      });
    },

    async team() {
      const teamId = decodeURIComponent(location.pathname.split("/").pop());
      const base = "/v1/teams/" + encodeURIComponent(teamId);
      const roles = ["viewer", "member", "admin", "owner"];
      const loadMembers = async () => {
        const members = await listAll(base + "/members");
        const body = $("members");
        body.textContent = "";
        for (const member of members) {
          const row = document.createElement("tr");
          row.dataset.userId = member.userId;
          const who = member.name ? member.name + " <" + member.email + ">" : member.email;
          cell(row, who);
          const roleCell = cell(row, "");
          roleCell.textContent = "";
          const select = document.createElement("select");
          select.id = "role-" + member.userId;
          const label = document.createElement("label");
          label.htmlFor = select.id;
          label.className = "sr-only"; // the row says whose role it is; a screen reader hears it here
          label.textContent = "Role of " + member.email;
          for (const role of roles) select.append(new Option(role, role, false, role === member.role));
          roleCell.append(label, select);
          const actions = cell(row, "");
          actions.textContent = "";
          actions.append(
            button("Save role", "Save role of " + member.email, async () => {
              await api("PATCH", base + "/members/" + encodeURIComponent(member.userId), { role: select.value });
              showMessage("The role of " + member.email + " is now " + select.value + ".");
              await loadMembers();
            }),
            button(
              "Remove",
              "Remove " + member.email,
              async () => {
                await api("DELETE", base + "/members/" + encodeURIComponent(member.userId));
                showMessage(member.email + " is no longer in the team.");
                await loadMembers();
              },
              true,
            ),
          );
          body.append(row);
        }
      };
      const loadInvitations = async () => {
        let invitations;
        try {
          invitations = await listAll(base + "/invitations");
        } catch (error) {
          // Viewers and members may not invite: the section is not for them.
          if (error instanceof Problem && error.status === 403) return ($("invite-section").hidden = true);
          throw error;
        }
        const body = $("invitations");
        body.textContent = "";
        for (const invitation of invitations) {
          const row = document.createElement("tr");
          row.dataset.invitationId = invitation.id;
          cell(row, invitation.email);
          cell(row, invitation.role);
          cell(row, when(invitation.expiresAt));
          const actions = cell(row, "");
          actions.textContent = "";
          actions.append(
            button("Cancel", "Cancel the invitation of " + invitation.email, async () => {
              await api("DELETE", base + "/invitations/" + encodeURIComponent(invitation.id));
              showMessage("The invitation of " + invitation.email + " is cancelled.");
              await loadInvitations();
            }, true),
          );
          body.append(row);
        }
      };
      onSubmit("invite-form", async (form) => {
        const invitation = await api("POST", base + "/invitations", { email: value("invite-email"), role: value("invite-role") });
        form.reset();
        showMessage("An invitation is mailed to " + invitation.email + ".");
        await loadInvitations();
      });
      const team = await api("GET", base);
      $("page-heading").textContent = team.name;
      document.title = team.name + " · ImageBot account";
      $("team-role").textContent = team.role;
      await loadMembers();
      // Only owners and admins may invite (API.md "Teams"): others are not asked, so no 403 is logged.
      if (team.role === "owner" || team.role === "admin") await loadInvitations();
      else $("invite-section").hidden = true;
    },
  };

  async function start() {
    $("error").tabIndex = -1; // focusable from script, so a problem is announced and reachable
    const signOut = $("sign-out");
    if (signOut) {
      onClick(signOut, async () => {
        await api("POST", "/v1/auth/logout");
        location.assign("/console/sign-in");
      });
    }
    // Forms are the script's alone: none ever submits natively (a password must not end up in a
    // request the page did not make), even if a click lands before a page's handler is in place.
    document.addEventListener("submit", (event) => event.preventDefault(), true);
    const page = pages[document.body.dataset.page];
    try {
      // Each page function attaches its handlers before its first await, so the forms work as
      // soon as the page has loaded; on a signed-in page, no session sends it to sign-in.
      await Promise.all([csrf(), page ? page() : null]);
    } catch (error) {
      showError(error);
    }
  }

  // The passkeys script (passkeys.js, loaded after this one) reuses these: one fetch wrapper, one
  // way to show a problem, for the whole console.
  window.imagebotConsole = Object.freeze({ $, api, busy, showError, showMessage, notice, when, returnTo });
  start();
})();
`;
