import type { Context } from "hono";
import { auditContext } from "../../auth/audit-context";
import { hashPassword } from "../../crypto/password";
import { newId, randomToken } from "../../crypto/random";
import { database } from "../../db/client";
import { createUserWithIdentity, findIdentity, linkIdentity } from "../../db/identities";
import type { OAuthState, User } from "../../db/schema";
import { findUserByEmail, findUserById } from "../../db/users";
import type { AppEnv } from "../../env";
import { signInMethodAddedMail } from "../mail-templates";
import { mailerFor } from "../mailer";
import { ProviderFailure, type ProviderId, type ProviderIdentity } from "./provider";

const PROVIDER_LABELS: Record<ProviderId, string> = { github: "GitHub", google: "Google", oidc: "OpenID provider" };

export type AccountOutcome = { kind: "sign_in"; user: User; created: boolean } | { kind: "linked"; user: User };

const MAX_NAME_CHARS = 100;

/**
 * What a provider's answer does (API.md "Sign in with another provider", SECURITY.md "Linking
 * rules"):
 * - a flow started by a signed-in user links the identity to THAT user, unless it belongs to
 *   someone else (`identity_taken`);
 * - a linked identity signs its user in;
 * - an unknown identity with a provider-verified email nobody uses creates an account (email
 *   verified, no password);
 * - an unknown identity whose email belongs to an account is NEVER linked to it
 *   (`account_exists`): the provider's word that someone holds an address is not proof that
 *   they own that account here (a provider that lets anyone claim an address, or a mailbox
 *   recycled since, would otherwise hand over the account). Its owner signs in and links.
 */
export async function resolveAccount(
  c: Context<AppEnv>,
  provider: ProviderId,
  identity: ProviderIdentity,
  flow: OAuthState,
): Promise<AccountOutcome> {
  const db = database(c.env.DB);
  const existing = await findIdentity(db, provider, identity.subject);
  const identityRow = () => ({
    id: newId("idn"),
    provider,
    subject: identity.subject,
    email: identity.emailVerified ? identity.email : null,
    createdAt: new Date(),
    userId: "",
  });

  if (flow.linkUserId) {
    const user = await findUserById(db, flow.linkUserId);
    if (!user) throw new ProviderFailure("invalid_state", "link_user_gone");
    if (existing) {
      if (existing.userId === user.id) return { kind: "linked", user };
      throw new ProviderFailure("identity_taken");
    }
    const outcome = await linkIdentity(
      db,
      { ...identityRow(), userId: user.id },
      { context: auditContext(c), event: { type: "identity.linked", userId: user.id, metadata: { provider } } },
    );
    if (outcome === "taken") throw new ProviderFailure("identity_taken");
    const method = `A ${PROVIDER_LABELS[provider]} account`;
    await mailerFor(c).send(signInMethodAddedMail(user.email, method, c.get("clientIp")));
    return { kind: "linked", user };
  }

  if (existing) {
    const user = await findUserById(db, existing.userId);
    if (!user) throw new ProviderFailure("invalid_state", "identity_user_gone");
    return { kind: "sign_in", user, created: false };
  }

  if (!identity.emailVerified || !identity.email) throw new ProviderFailure("email_unverified");
  if (await findUserByEmail(db, identity.email)) throw new ProviderFailure("account_exists");

  // No password: the hash of 32 random bytes nobody ever sees keeps the column NOT NULL and makes
  // every password check cost the same bcrypt and fail (`has_password` false says so).
  const now = new Date();
  const userId = newId("usr");
  const result = await createUserWithIdentity(
    db,
    {
      id: userId,
      email: identity.email,
      name: identity.name?.trim().slice(0, MAX_NAME_CHARS) || null,
      passwordHash: await hashPassword(randomToken(32)),
      hasPassword: false,
      emailVerified: true,
      createdAt: now,
      updatedAt: now,
    },
    { ...identityRow(), userId },
    { context: auditContext(c), event: { type: "user.registered", userId, metadata: { provider } } },
  );
  if ("conflict" in result) {
    throw new ProviderFailure(result.conflict === "email_taken" ? "account_exists" : "invalid_state", result.conflict);
  }
  return { kind: "sign_in", user: result.created, created: true };
}
