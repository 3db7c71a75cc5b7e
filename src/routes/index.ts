import { deleteAccount } from "./account/delete-account";
import { exportAccount } from "./account/export-account";
import { adminClearTwoFactor } from "./admin/clear-two-factor";
import { adminCreateIpBlock } from "./admin/create-ip-block";
import { adminDeleteIpBlock } from "./admin/delete-ip-block";
import { adminForcePasswordReset } from "./admin/force-password-reset";
import { adminPatchUser } from "./admin/patch-user";
import { adminRevokeAll } from "./admin/revoke-all";
import { adminSearchAuditLog } from "./admin/search-audit-log";
import { adminSecuritySummary } from "./admin/security-summary";
import { adminUnlock } from "./admin/unlock";
import { createApiKey } from "./api-keys/create-api-key";
import { listApiKeysEndpoint } from "./api-keys/list-api-keys";
import { revokeApiKey } from "./api-keys/revoke-api-key";
import { rollApiKey } from "./api-keys/roll-api-key";
import { listAuditLog } from "./audit/list-audit-log";
import { getCsrfToken } from "./auth/csrf-token";
import { verifyEmail } from "./auth/email-verify";
import { resendEmailVerification } from "./auth/email-verify-resend";
import { login } from "./auth/login";
import { loginMfa } from "./auth/login-mfa";
import { logout } from "./auth/logout";
import { logoutAll } from "./auth/logout-all";
// Passkeys (issue 17)
import { passkeySignInOptions } from "./auth/passkey-options";
import { passkeySignIn } from "./auth/passkey-sign-in";
import { passwordChange } from "./auth/password-change";
import { passwordForgot } from "./auth/password-forgot";
import { passwordReset } from "./auth/password-reset";
import { refresh } from "./auth/refresh";
import { register } from "./auth/register";
import { createCollection } from "./collections/create-collection";
import { deleteCollectionEndpoint } from "./collections/delete-collection";
import { deleteCollectionImage } from "./collections/delete-collection-image";
import { getCollection } from "./collections/get-collection";
import { listCollectionsEndpoint } from "./collections/list-collections";
import { patchCollection } from "./collections/patch-collection";
import { putCollectionImage } from "./collections/put-collection-image";
import { devAlerts } from "./dev/alerts";
import { devOutbox } from "./dev/outbox";
import type { Endpoint } from "./endpoint";
import { health } from "./health";
import { createImageComment } from "./images/create-comment";
import { createImage } from "./images/create-image";
import { deleteImage } from "./images/delete-image";
import { getImage } from "./images/get-image";
import { getImageContent } from "./images/get-image-content";
import { listImageComments } from "./images/list-comments";
import { listImagesEndpoint } from "./images/list-images";
import { patchImage } from "./images/patch-image";
import { restoreImage } from "./images/restore-image";
import { listLicensesEndpoint } from "./licenses/list-licenses";
import { getMe } from "./me/get-me";
import { deleteIdentity } from "./me/identities/delete-identity";
import { linkIdentity } from "./me/identities/link-identity";
import { listIdentitiesEndpoint } from "./me/identities/list-identities";
import { patchMe } from "./me/patch-me";
import { confirmTotp } from "./me/two-factor/confirm-totp";
import { disableTwoFactor } from "./me/two-factor/disable-two-factor";
import { enrollTotp } from "./me/two-factor/enroll-totp";
import { listProviders } from "./oauth/list-providers";
import { oauthCallback } from "./oauth/oauth-callback";
import { startOAuth } from "./oauth/start-oauth";
import { createPasskey } from "./passkeys/create-passkey";
import { deletePasskey } from "./passkeys/delete-passkey";
import { listPasskeysEndpoint } from "./passkeys/list-passkeys";
import { passkeyRegistrationOptions } from "./passkeys/registration-options";
import { renamePasskeyEndpoint } from "./passkeys/rename-passkey";
import { deleteSession } from "./sessions/delete-session";
import { listSessions } from "./sessions/list-sessions";
import { acceptInvitation } from "./teams/accept-invitation";
import { cancelTeamInvitation } from "./teams/cancel-invitation";
import { createInvitation } from "./teams/create-invitation";
import { createTeam } from "./teams/create-team";
import { deleteTeamMember } from "./teams/delete-member";
import { deleteTeam } from "./teams/delete-team";
import { getTeam } from "./teams/get-team";
import { listTeamInvitations } from "./teams/list-invitations";
import { listTeamMembers } from "./teams/list-members";
import { listTeams } from "./teams/list-teams";
import { patchTeamMember } from "./teams/patch-member";
import { patchTeam } from "./teams/patch-team";
import { teamAuditLog } from "./teams/team-audit-log";
import { stripeWebhook } from "./webhooks/stripe";

/** Every endpoint of the service; `createApp` mounts exactly these. */
export const endpoints: Endpoint[] = [
  health,
  register,
  login,
  loginMfa,
  logout,
  logoutAll,
  refresh,
  getCsrfToken,
  passwordForgot,
  passwordReset,
  passwordChange,
  verifyEmail,
  resendEmailVerification,
  listProviders,
  startOAuth,
  oauthCallback,
  getMe,
  patchMe,
  enrollTotp,
  confirmTotp,
  disableTwoFactor,
  listIdentitiesEndpoint,
  linkIdentity,
  deleteIdentity,
  listSessions,
  deleteSession,
  listAuditLog,
  exportAccount,
  deleteAccount,
  listLicensesEndpoint,
  createApiKey,
  listApiKeysEndpoint,
  revokeApiKey,
  rollApiKey,
  createImage,
  listImagesEndpoint,
  getImage,
  getImageContent,
  patchImage,
  deleteImage,
  restoreImage,
  listImageComments,
  createImageComment,
  createCollection,
  listCollectionsEndpoint,
  getCollection,
  patchCollection,
  deleteCollectionEndpoint,
  putCollectionImage,
  deleteCollectionImage,
  createTeam,
  listTeams,
  getTeam,
  patchTeam,
  deleteTeam,
  createInvitation,
  listTeamInvitations,
  cancelTeamInvitation,
  acceptInvitation,
  listTeamMembers,
  patchTeamMember,
  deleteTeamMember,
  teamAuditLog,
  stripeWebhook,
  adminPatchUser,
  adminRevokeAll,
  adminForcePasswordReset,
  adminSearchAuditLog,
  adminSecuritySummary,
  adminUnlock,
  adminClearTwoFactor,
  adminCreateIpBlock,
  adminDeleteIpBlock,
  devOutbox,
  devAlerts,
  passkeySignInOptions,
  passkeySignIn,
  passkeyRegistrationOptions,
  createPasskey,
  listPasskeysEndpoint,
  renamePasskeyEndpoint,
  deletePasskey,
] as unknown as Endpoint[];
