/**
 * Who may call what: the expected status of every registered route for every kind of caller
 * (issue 9; OWASP API1:2023 and API5:2023; ASVS 5.0 V8). Derived from ../shared/API.md
 * ("Credentials", "Routes", the error table) and src/domain/permissions.ts, not from the code's
 * answers. One row per route (a route with more than one kind of target has one row per
 * target, named in brackets); test/security/access-matrix-*.test.ts send every cell as a real
 * request, and access-matrix-coverage.test.ts fails when a registered route has no row.
 *
 * The fixture (test/helpers/access-matrix.ts): a team T with one user in each role, owned by
 * `owner`, holding images and collections; `owner` also has personal images and collections.
 *
 *   anon    no credential
 *   user    "other user": a registered user in no team of ours
 *   uOwner  "other team's owner": the owner of another team U, not in T
 *   viewer, member, admin, owner: T's members in each role (owner is also the owner of every personal object)
 *   kRead, kGen, kMng: API keys of T's owner with exactly one scope each (read, generate, manage)
 *   vKey    an API key of T's viewer with all three scopes (a key never exceeds its user's role)
 *   op      the operator (ADMIN_TOKEN bearer)
 *
 * Reading the statuses: 401 no valid user credential for this route (operator routes refuse every
 * user credential, user routes refuse the operator token); 403 authenticated, but the role or the
 * key's scope does not allow it (also: a key on a session-only route); 404 the object is not the
 * caller's to know about (another tenant's object is never a 403); 400 (accept) the invitation
 * is not for this account; 2xx allowed.
 */
export const accessMatrixTable = `
| route                                                               | anon | user | uOwner | viewer | member | admin | owner | kRead | kGen | kMng | vKey | op  |
|---------------------------------------------------------------------|------|------|--------|--------|--------|-------|-------|-------|------|------|------|-----|
## images
| POST /v1/images/generations [no teamId]                             | 401  | 201  | 201    | 201    | 201    | 201   | 201   | 403   | 201  | 403  | 201  | 401 |
| POST /v1/images/generations [teamId=T]                              | 401  | 404  | 404    | 403    | 201    | 201   | 201   | 403   | 201  | 403  | 403  | 401 |
| GET /v1/images [no teamId]                                          | 401  | 200  | 200    | 200    | 200    | 200   | 200   | 200   | 403  | 403  | 200  | 401 |
| GET /v1/images [teamId=T]                                           | 401  | 404  | 404    | 200    | 200    | 200   | 200   | 200   | 403  | 403  | 200  | 401 |
| GET /v1/images/{id} [T's image]                                     | 401  | 404  | 404    | 200    | 200    | 200   | 200   | 200   | 403  | 403  | 200  | 401 |
| GET /v1/images/{id} [owner's personal image]                        | 401  | 404  | 404    | 404    | 404    | 404   | 200   | 200   | 403  | 403  | 404  | 401 |
| GET /v1/images/{id}/content [T's image]                             | 401  | 404  | 404    | 200    | 200    | 200   | 200   | 200   | 403  | 403  | 200  | 401 |
| GET /v1/images/{id}/content [owner's personal image]                | 401  | 404  | 404    | 404    | 404    | 404   | 200   | 200   | 403  | 403  | 404  | 401 |
| PATCH /v1/images/{id} [T's image]                                   | 401  | 404  | 404    | 403    | 200    | 200   | 200   | 403   | 403  | 200  | 403  | 401 |
| PATCH /v1/images/{id} [owner's personal image]                      | 401  | 404  | 404    | 404    | 404    | 404   | 200   | 403   | 403  | 200  | 404  | 401 |
| DELETE /v1/images/{id} [T's image]                                  | 401  | 404  | 404    | 403    | 204    | 204   | 204   | 403   | 403  | 204  | 403  | 401 |
| DELETE /v1/images/{id} [owner's personal image]                     | 401  | 404  | 404    | 404    | 404    | 404   | 204   | 403   | 403  | 204  | 404  | 401 |
| POST /v1/images/{id}/restore [T's image]                            | 401  | 404  | 404    | 403    | 200    | 200   | 200   | 403   | 403  | 200  | 403  | 401 |
| POST /v1/images/{id}/restore [owner's personal image]               | 401  | 404  | 404    | 404    | 404    | 404   | 200   | 403   | 403  | 200  | 404  | 401 |
| GET /v1/images/{id}/comments [T's image]                            | 401  | 404  | 404    | 200    | 200    | 200   | 200   | 200   | 403  | 403  | 200  | 401 |
| GET /v1/images/{id}/comments [owner's personal image]               | 401  | 404  | 404    | 404    | 404    | 404   | 200   | 200   | 403  | 403  | 404  | 401 |
| POST /v1/images/{id}/comments [T's image]                           | 401  | 404  | 404    | 403    | 201    | 403   | 201   | 403   | 403  | 201  | 403  | 401 |
| POST /v1/images/{id}/comments [owner's personal image]              | 401  | 404  | 404    | 404    | 404    | 404   | 201   | 403   | 403  | 201  | 404  | 401 |
## collections
| POST /v1/collections [no teamId]                                    | 401  | 201  | 201    | 201    | 201    | 201   | 201   | 403   | 403  | 201  | 201  | 401 |
| POST /v1/collections [teamId=T]                                     | 401  | 404  | 404    | 403    | 201    | 201   | 201   | 403   | 403  | 201  | 403  | 401 |
| GET /v1/collections [no teamId]                                     | 401  | 200  | 200    | 200    | 200    | 200   | 200   | 200   | 403  | 403  | 200  | 401 |
| GET /v1/collections [teamId=T]                                      | 401  | 404  | 404    | 200    | 200    | 200   | 200   | 200   | 403  | 403  | 200  | 401 |
| GET /v1/collections/{id} [T's collection]                           | 401  | 404  | 404    | 200    | 200    | 200   | 200   | 200   | 403  | 403  | 200  | 401 |
| GET /v1/collections/{id} [owner's personal collection]              | 401  | 404  | 404    | 404    | 404    | 404   | 200   | 200   | 403  | 403  | 404  | 401 |
| PATCH /v1/collections/{id} [T's collection]                         | 401  | 404  | 404    | 403    | 200    | 200   | 200   | 403   | 403  | 200  | 403  | 401 |
| PATCH /v1/collections/{id} [owner's personal collection]            | 401  | 404  | 404    | 404    | 404    | 404   | 200   | 403   | 403  | 200  | 404  | 401 |
| DELETE /v1/collections/{id} [T's collection]                        | 401  | 404  | 404    | 403    | 204    | 204   | 204   | 403   | 403  | 204  | 403  | 401 |
| DELETE /v1/collections/{id} [owner's personal collection]           | 401  | 404  | 404    | 404    | 404    | 404   | 204   | 403   | 403  | 204  | 404  | 401 |
| PUT /v1/collections/{id}/images/{imageId} [T's]                     | 401  | 404  | 404    | 403    | 204    | 204   | 204   | 403   | 403  | 204  | 403  | 401 |
| PUT /v1/collections/{id}/images/{imageId} [owner's personal]        | 401  | 404  | 404    | 404    | 404    | 404   | 204   | 403   | 403  | 204  | 404  | 401 |
| DELETE /v1/collections/{id}/images/{imageId} [T's]                  | 401  | 404  | 404    | 403    | 204    | 204   | 204   | 403   | 403  | 204  | 403  | 401 |
| DELETE /v1/collections/{id}/images/{imageId} [owner's personal]     | 401  | 404  | 404    | 404    | 404    | 404   | 204   | 403   | 403  | 204  | 404  | 401 |
## teams
| POST /v1/teams                                                      | 401  | 201  | 201    | 201    | 201    | 201   | 201   | 403   | 403  | 403  | 403  | 401 |
| GET /v1/teams                                                       | 401  | 200  | 200    | 200    | 200    | 200   | 200   | 403   | 403  | 403  | 403  | 401 |
| GET /v1/teams/{id}                                                  | 401  | 404  | 404    | 200    | 200    | 200   | 200   | 403   | 403  | 403  | 403  | 401 |
| PATCH /v1/teams/{id}                                                | 401  | 404  | 404    | 403    | 403    | 200   | 200   | 403   | 403  | 403  | 403  | 401 |
| DELETE /v1/teams/{id}                                               | 401  | 404  | 404    | 403    | 403    | 403   | 204   | 403   | 403  | 403  | 403  | 401 |
| POST /v1/teams/{id}/invitations [role viewer]                       | 401  | 404  | 404    | 403    | 403    | 201   | 201   | 403   | 403  | 403  | 403  | 401 |
| POST /v1/teams/{id}/invitations [role owner]                        | 401  | 404  | 404    | 403    | 403    | 403   | 201   | 403   | 403  | 403  | 403  | 401 |
| GET /v1/teams/{id}/invitations                                      | 401  | 404  | 404    | 403    | 403    | 200   | 200   | 403   | 403  | 403  | 403  | 401 |
| DELETE /v1/teams/{id}/invitations/{invitationId} [T's]              | 401  | 404  | 404    | 403    | 403    | 204   | 204   | 403   | 403  | 403  | 403  | 401 |
| DELETE /v1/teams/{id}/invitations/{invitationId} [another team's]   | 401  | 404  | 404    | 403    | 403    | 404   | 404   | 403   | 403  | 403  | 403  | 401 |
| POST /v1/invitations/accept [invitation to the caller]              | 401  | 200  | 200    | 200    | 200    | 200   | 200   | 403   | 403  | 403  | 403  | 401 |
| POST /v1/invitations/accept [invitation to someone else]            | 401  | 400  | 400    | 400    | 400    | 400   | 400   | 403   | 403  | 403  | 403  | 401 |
| GET /v1/teams/{id}/members                                          | 401  | 404  | 404    | 200    | 200    | 200   | 200   | 403   | 403  | 403  | 403  | 401 |
| PATCH /v1/teams/{id}/members/{userId} [viewer to member]            | 401  | 404  | 404    | 403    | 403    | 200   | 200   | 403   | 403  | 403  | 403  | 401 |
| PATCH /v1/teams/{id}/members/{userId} [viewer to owner]             | 401  | 404  | 404    | 403    | 403    | 403   | 200   | 403   | 403  | 403  | 403  | 401 |
| DELETE /v1/teams/{id}/members/{userId} [a viewer]                   | 401  | 404  | 404    | 403    | 403    | 204   | 204   | 403   | 403  | 403  | 403  | 401 |
| DELETE /v1/teams/{id}/members/{userId} [an owner]                   | 401  | 404  | 404    | 403    | 403    | 403   | 204   | 403   | 403  | 403  | 403  | 401 |
| DELETE /v1/teams/{id}/members/{userId} [the caller themself]        | 401  | 404  | 404    | 204    | 204    | 204   | 204   | 403   | 403  | 403  | 403  | 401 |
| GET /v1/teams/{id}/audit-log                                        | 401  | 404  | 404    | 403    | 403    | 200   | 200   | 403   | 403  | 403  | 403  | 401 |
## auth
| POST /v1/auth/logout                                                | 401  | 204  | 204    | 204    | 204    | 204   | 204   | 403   | 403  | 403  | 403  | 401 |
| POST /v1/auth/logout-all                                            | 401  | 204  | 204    | 204    | 204    | 204   | 204   | 403   | 403  | 403  | 403  | 401 |
| POST /v1/auth/refresh                                               | 401  | 200  | 200    | 200    | 200    | 200   | 200   | 403   | 403  | 403  | 403  | 401 |
| GET /v1/auth/csrf                                                   | 401  | 200  | 200    | 200    | 200    | 200   | 200   | 403   | 403  | 403  | 403  | 401 |
| POST /v1/auth/password/change                                       | 401  | 204  | 204    | 204    | 204    | 204   | 204   | 403   | 403  | 403  | 403  | 401 |
| POST /v1/auth/email/verify/resend                                   | 401  | 202  | 202    | 202    | 202    | 202   | 202   | 403   | 403  | 403  | 403  | 401 |
| DELETE /v1/account                                                  | 401  | 204  | 204    | 204    | 204    | 204   | 204   | 403   | 403  | 403  | 403  | 401 |
## account
| GET /v1/me                                                          | 401  | 200  | 200    | 200    | 200    | 200   | 200   | 403   | 403  | 403  | 403  | 401 |
| PATCH /v1/me                                                        | 401  | 200  | 200    | 200    | 200    | 200   | 200   | 403   | 403  | 403  | 403  | 401 |
| POST /v1/me/2fa/totp                                                | 401  | 200  | 200    | 200    | 200    | 200   | 200   | 403   | 403  | 403  | 403  | 401 |
| POST /v1/me/2fa/totp/confirm                                        | 401  | 200  | 200    | 200    | 200    | 200   | 200   | 403   | 403  | 403  | 403  | 401 |
| DELETE /v1/me/2fa                                                   | 401  | 204  | 204    | 204    | 204    | 204   | 204   | 403   | 403  | 403  | 403  | 401 |
| GET /v1/audit-log                                                   | 401  | 200  | 200    | 200    | 200    | 200   | 200   | 403   | 403  | 403  | 403  | 401 |
| GET /v1/account/export                                              | 401  | 200  | 200    | 200    | 200    | 200   | 200   | 403   | 403  | 403  | 403  | 401 |
| GET /v1/licenses                                                    | 401  | 200  | 200    | 200    | 200    | 200   | 200   | 403   | 403  | 403  | 403  | 401 |
| GET /v1/me/identities                                               | 401  | 200  | 200    | 200    | 200    | 200   | 200   | 403   | 403  | 403  | 403  | 401 |
| POST /v1/me/identities/{provider}/link                              | 401  | 200  | 200    | 200    | 200    | 200   | 200   | 403   | 403  | 403  | 403  | 401 |
| DELETE /v1/me/identities/{id} [the caller's own identity]           | 401  | 204  | 204    | 204    | 204    | 204   | 204   | 403   | 403  | 403  | 403  | 401 |
| DELETE /v1/me/identities/{id} [owner's identity]                    | 401  | 404  | 404    | 404    | 404    | 404   | 204   | 403   | 403  | 403  | 403  | 401 |
| POST /v1/me/passkeys/registration-options                           | 401  | 200  | 200    | 200    | 200    | 200   | 200   | 403   | 403  | 403  | 403  | 401 |
| POST /v1/me/passkeys                                                | 401  | 201  | 201    | 201    | 201    | 201   | 201   | 403   | 403  | 403  | 403  | 401 |
| GET /v1/me/passkeys                                                 | 401  | 200  | 200    | 200    | 200    | 200   | 200   | 403   | 403  | 403  | 403  | 401 |
| PATCH /v1/me/passkeys/{id} [the caller's own passkey]               | 401  | 200  | 200    | 200    | 200    | 200   | 200   | 403   | 403  | 403  | 403  | 401 |
| PATCH /v1/me/passkeys/{id} [owner's passkey]                        | 401  | 404  | 404    | 404    | 404    | 404   | 200   | 403   | 403  | 403  | 403  | 401 |
| DELETE /v1/me/passkeys/{id} [the caller's own passkey]              | 401  | 204  | 204    | 204    | 204    | 204   | 204   | 403   | 403  | 403  | 403  | 401 |
| DELETE /v1/me/passkeys/{id} [owner's passkey]                       | 401  | 404  | 404    | 404    | 404    | 404   | 204   | 403   | 403  | 403  | 403  | 401 |
## keys-sessions
| GET /v1/sessions                                                    | 401  | 200  | 200    | 200    | 200    | 200   | 200   | 403   | 403  | 403  | 403  | 401 |
| DELETE /v1/sessions/{id} [the caller's own session]                 | 401  | 204  | 204    | 204    | 204    | 204   | 204   | 403   | 403  | 403  | 403  | 401 |
| DELETE /v1/sessions/{id} [owner's session]                          | 401  | 404  | 404    | 404    | 404    | 404   | 204   | 403   | 403  | 403  | 403  | 401 |
| POST /v1/api-keys                                                   | 401  | 201  | 201    | 201    | 201    | 201   | 201   | 403   | 403  | 403  | 403  | 401 |
| GET /v1/api-keys                                                    | 401  | 200  | 200    | 200    | 200    | 200   | 200   | 403   | 403  | 403  | 403  | 401 |
| DELETE /v1/api-keys/{id} [the caller's own key]                     | 401  | 204  | 204    | 204    | 204    | 204   | 204   | 403   | 403  | 403  | 403  | 401 |
| DELETE /v1/api-keys/{id} [owner's key]                              | 401  | 404  | 404    | 404    | 404    | 404   | 204   | 403   | 403  | 403  | 403  | 401 |
| POST /v1/api-keys/{id}/roll [owner's key]                           | 401  | 404  | 404    | 404    | 404    | 404   | 201   | 403   | 403  | 403  | 403  | 401 |
## public
| GET /health                                                         | 200  | 200  | 200    | 200    | 200    | 200   | 200   | 200   | 200  | 200  | 200  | 200 |
| POST /v1/auth/register                                              | 201  | 201  | 201    | 201    | 201    | 201   | 201   | 201   | 201  | 201  | 201  | 201 |
| POST /v1/auth/login                                                 | 200  | 200  | 200    | 200    | 200    | 200   | 200   | 200   | 200  | 200  | 200  | 200 |
| POST /v1/auth/login/mfa                                             | 200  | 200  | 200    | 200    | 200    | 200   | 200   | 200   | 200  | 200  | 200  | 200 |
| POST /v1/auth/passkey/options                                       | 200  | 200  | 200    | 200    | 200    | 200   | 200   | 200   | 200  | 200  | 200  | 200 |
| POST /v1/auth/passkey                                               | 200  | 200  | 200    | 200    | 200    | 200   | 200   | 200   | 200  | 200  | 200  | 200 |
| POST /v1/auth/password/forgot                                       | 202  | 202  | 202    | 202    | 202    | 202   | 202   | 202   | 202  | 202  | 202  | 202 |
| POST /v1/auth/password/reset                                        | 204  | 204  | 204    | 204    | 204    | 204   | 204   | 204   | 204  | 204  | 204  | 204 |
| POST /v1/auth/email/verify                                          | 204  | 204  | 204    | 204    | 204    | 204   | 204   | 204   | 204  | 204  | 204  | 204 |
| GET /v1/auth/providers                                              | 200  | 200  | 200    | 200    | 200    | 200   | 200   | 200   | 200  | 200  | 200  | 200 |
| GET /v1/auth/oauth/{provider}/start                                 | 302  | 302  | 302    | 302    | 302    | 302   | 302   | 302   | 302  | 302  | 302  | 302 |
| GET /v1/auth/oauth/{provider}/callback                              | 302  | 302  | 302    | 302    | 302    | 302   | 302   | 302   | 302  | 302  | 302  | 302 |
| POST /v1/webhooks/stripe [signed]                                   | 200  | 200  | 200    | 200    | 200    | 200   | 200   | 200   | 200  | 200  | 200  | 200 |
| POST /v1/webhooks/stripe [unsigned]                                 | 400  | 400  | 400    | 400    | 400    | 400   | 400   | 400   | 400  | 400  | 400  | 400 |
| GET /dev/outbox                                                     | 200  | 200  | 200    | 200    | 200    | 200   | 200   | 200   | 200  | 200  | 200  | 200 |
| GET /dev/alerts                                                     | 200  | 200  | 200    | 200    | 200    | 200   | 200   | 200   | 200  | 200  | 200  | 200 |
## operator
| PATCH /v1/admin/users/{id}                                          | 401  | 401  | 401    | 401    | 401    | 401   | 401   | 401   | 401  | 401  | 401  | 200 |
| POST /v1/admin/users/{id}/revoke-all                                | 401  | 401  | 401    | 401    | 401    | 401   | 401   | 401   | 401  | 401  | 401  | 204 |
| GET /v1/admin/audit-log                                             | 401  | 401  | 401    | 401    | 401    | 401   | 401   | 401   | 401  | 401  | 401  | 200 |
| GET /v1/admin/security/summary                                      | 401  | 401  | 401    | 401    | 401    | 401   | 401   | 401   | 401  | 401  | 401  | 200 |
| POST /v1/admin/users/{id}/force-password-reset                      | 401  | 401  | 401    | 401    | 401    | 401   | 401   | 401   | 401  | 401  | 401  | 204 |
| POST /v1/admin/users/{id}/unlock                                    | 401  | 401  | 401    | 401    | 401    | 401   | 401   | 401   | 401  | 401  | 401  | 204 |
| DELETE /v1/admin/users/{id}/2fa                                     | 401  | 401  | 401    | 401    | 401    | 401   | 401   | 401   | 401  | 401  | 401  | 204 |
| POST /v1/admin/ip-blocks                                            | 401  | 401  | 401    | 401    | 401    | 401   | 401   | 401   | 401  | 401  | 401  | 201 |
| DELETE /v1/admin/ip-blocks/{ip}                                     | 401  | 401  | 401    | 401    | 401    | 401   | 401   | 401   | 401  | 401  | 401  | 204 |
`;
