import type { RegisteredUser } from "./api";
import type { ProtectedRequest } from "./auth-matrix";
import { ownedObjects } from "./fixtures";
import { decodeToken } from "./tokens";

type Sample = (user: RegisteredUser) => ProtectedRequest | Promise<ProtectedRequest>;

const withObjects =
  (build: (objects: Awaited<ReturnType<typeof ownedObjects>>, user: RegisteredUser) => ProtectedRequest): Sample =>
  async (user) =>
    build(await ownedObjects(user), user);

/** A plausible request for every credentialed route; a new route must add one here. */
export const routeSamples: Record<string, Sample> = {
  "POST /v1/auth/logout": () => ({ method: "POST", path: "/v1/auth/logout" }),
  "POST /v1/auth/logout-all": () => ({ method: "POST", path: "/v1/auth/logout-all" }),
  "POST /v1/auth/refresh": () => ({ method: "POST", path: "/v1/auth/refresh" }),
  "GET /v1/auth/csrf": () => ({ method: "GET", path: "/v1/auth/csrf" }),
  "POST /v1/auth/password/change": (user) => ({
    method: "POST",
    path: "/v1/auth/password/change",
    body: { currentPassword: user.password, newPassword: `changed ${user.password}` },
  }),
  "POST /v1/auth/email/verify/resend": () => ({ method: "POST", path: "/v1/auth/email/verify/resend" }),
  "GET /v1/me": () => ({ method: "GET", path: "/v1/me" }),
  "PATCH /v1/me": () => ({ method: "PATCH", path: "/v1/me", body: { name: "Matrix" } }),
  "POST /v1/me/2fa/totp": (user) => ({ method: "POST", path: "/v1/me/2fa/totp", body: { password: user.password } }),
  "POST /v1/me/2fa/totp/confirm": () => ({ method: "POST", path: "/v1/me/2fa/totp/confirm", body: { code: "000000" } }),
  "DELETE /v1/me/2fa": (user) => ({
    method: "DELETE",
    path: "/v1/me/2fa",
    body: { password: user.password, code: "000000" },
  }),
  "GET /v1/me/identities": () => ({ method: "GET", path: "/v1/me/identities" }),
  "POST /v1/me/identities/{provider}/link": () => ({ method: "POST", path: "/v1/me/identities/github/link" }),
  "DELETE /v1/me/identities/{id}": () => ({ method: "DELETE", path: "/v1/me/identities/idn_unknown" }),
  "POST /v1/me/passkeys/registration-options": (user) => ({
    method: "POST",
    path: "/v1/me/passkeys/registration-options",
    body: { password: user.password },
  }),
  "POST /v1/me/passkeys": () => ({
    method: "POST",
    path: "/v1/me/passkeys",
    // Well-formed, answering no challenge: a credentialed caller gets 400, never 201.
    body: {
      response: {
        id: "AAAA",
        rawId: "AAAA",
        type: "public-key",
        response: { clientDataJSON: "e30", attestationObject: "oA" },
        clientExtensionResults: {},
      },
    },
  }),
  "GET /v1/me/passkeys": () => ({ method: "GET", path: "/v1/me/passkeys" }),
  "PATCH /v1/me/passkeys/{id}": () => ({ method: "PATCH", path: "/v1/me/passkeys/pk_unknown", body: { name: "n" } }),
  "DELETE /v1/me/passkeys/{id}": () => ({ method: "DELETE", path: "/v1/me/passkeys/pk_unknown" }),
  "GET /v1/sessions": () => ({ method: "GET", path: "/v1/sessions" }),
  "DELETE /v1/sessions/{id}": (user) => ({
    method: "DELETE",
    path: `/v1/sessions/${decodeToken(user.token).payload.sid}`,
  }),
  "GET /v1/audit-log": () => ({ method: "GET", path: "/v1/audit-log" }),
  "GET /v1/account/export": () => ({ method: "GET", path: "/v1/account/export" }),
  "DELETE /v1/account": (user) => ({ method: "DELETE", path: "/v1/account", body: { password: user.password } }),
  "GET /v1/licenses": () => ({ method: "GET", path: "/v1/licenses" }),
  "POST /v1/api-keys": () => ({ method: "POST", path: "/v1/api-keys", body: { name: "k", scopes: ["read"] } }),
  "GET /v1/api-keys": () => ({ method: "GET", path: "/v1/api-keys" }),
  "DELETE /v1/api-keys/{id}": () => ({ method: "DELETE", path: "/v1/api-keys/key_unknown" }),
  "POST /v1/api-keys/{id}/roll": () => ({ method: "POST", path: "/v1/api-keys/key_unknown/roll", body: {} }),
  "POST /v1/images/generations": () => ({
    method: "POST",
    path: "/v1/images/generations",
    body: { prompt: "matrix", size: "256x256" },
  }),
  "GET /v1/images": () => ({ method: "GET", path: "/v1/images" }),
  "GET /v1/images/{id}": withObjects((o) => ({ method: "GET", path: `/v1/images/${o.imageId}` })),
  "GET /v1/images/{id}/content": withObjects((o) => ({ method: "GET", path: `/v1/images/${o.imageId}/content` })),
  "PATCH /v1/images/{id}": withObjects((o) => ({
    method: "PATCH",
    path: `/v1/images/${o.imageId}`,
    body: { title: "t" },
  })),
  "DELETE /v1/images/{id}": withObjects((o) => ({ method: "DELETE", path: `/v1/images/${o.imageId}` })),
  "POST /v1/images/{id}/restore": withObjects((o) => ({ method: "POST", path: `/v1/images/${o.imageId}/restore` })),
  "GET /v1/images/{id}/comments": withObjects((o) => ({ method: "GET", path: `/v1/images/${o.imageId}/comments` })),
  "POST /v1/images/{id}/comments": withObjects((o) => ({
    method: "POST",
    path: `/v1/images/${o.imageId}/comments`,
    body: { body: "nice" },
  })),
  "POST /v1/collections": () => ({ method: "POST", path: "/v1/collections", body: { name: "c" } }),
  "GET /v1/collections": () => ({ method: "GET", path: "/v1/collections" }),
  "GET /v1/collections/{id}": withObjects((o) => ({ method: "GET", path: `/v1/collections/${o.collectionId}` })),
  "PATCH /v1/collections/{id}": withObjects((o) => ({
    method: "PATCH",
    path: `/v1/collections/${o.collectionId}`,
    body: { name: "renamed" },
  })),
  "DELETE /v1/collections/{id}": withObjects((o) => ({ method: "DELETE", path: `/v1/collections/${o.collectionId}` })),
  "PUT /v1/collections/{id}/images/{imageId}": withObjects((o) => ({
    method: "PUT",
    path: `/v1/collections/${o.collectionId}/images/${o.imageId}`,
  })),
  "DELETE /v1/collections/{id}/images/{imageId}": withObjects((o) => ({
    method: "DELETE",
    path: `/v1/collections/${o.collectionId}/images/${o.imageId}`,
  })),
  "POST /v1/teams": () => ({ method: "POST", path: "/v1/teams", body: { name: "t" } }),
  "GET /v1/teams": () => ({ method: "GET", path: "/v1/teams" }),
  "GET /v1/teams/{id}": withObjects((o) => ({ method: "GET", path: `/v1/teams/${o.teamId}` })),
  "PATCH /v1/teams/{id}": withObjects((o) => ({ method: "PATCH", path: `/v1/teams/${o.teamId}`, body: { name: "n" } })),
  "DELETE /v1/teams/{id}": withObjects((o) => ({ method: "DELETE", path: `/v1/teams/${o.teamId}` })),
  "POST /v1/teams/{id}/invitations": withObjects((o) => ({
    method: "POST",
    path: `/v1/teams/${o.teamId}/invitations`,
    // A new address each time: an address gets at most 3 invitations a day.
    body: { email: `invitee.${crypto.randomUUID()}@example.com`, role: "member" },
  })),
  "GET /v1/teams/{id}/invitations": withObjects((o) => ({ method: "GET", path: `/v1/teams/${o.teamId}/invitations` })),
  "DELETE /v1/teams/{id}/invitations/{invitationId}": withObjects((o) => ({
    method: "DELETE",
    path: `/v1/teams/${o.teamId}/invitations/inv_notaninvitation`,
  })),
  "POST /v1/invitations/accept": () => ({ method: "POST", path: "/v1/invitations/accept", body: { token: "x" } }),
  "GET /v1/teams/{id}/members": withObjects((o) => ({ method: "GET", path: `/v1/teams/${o.teamId}/members` })),
  "PATCH /v1/teams/{id}/members/{userId}": withObjects((o, user) => ({
    method: "PATCH",
    path: `/v1/teams/${o.teamId}/members/${user.id}`,
    body: { role: "owner" },
  })),
  "GET /v1/teams/{id}/audit-log": withObjects((o) => ({ method: "GET", path: `/v1/teams/${o.teamId}/audit-log` })),
  "DELETE /v1/teams/{id}/members/{userId}": withObjects((o, user) => ({
    method: "DELETE",
    path: `/v1/teams/${o.teamId}/members/${user.id}`,
  })),
};
