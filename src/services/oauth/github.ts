import { CodeChallengeMethod, OAuth2Client } from "arctic";
import * as z from "zod";
import type { Config } from "../../env";
import { callbackUrl, ProviderFailure, type ProviderIdentity, type SignInProvider } from "./provider";
import { exchangeCode, providerFetch } from "./provider-http";

export const GITHUB_AUTHORIZATION_ENDPOINT = "https://github.com/login/oauth/authorize";
export const GITHUB_TOKEN_ENDPOINT = "https://github.com/login/oauth/access_token";
export const GITHUB_API = "https://api.github.com";

const gitHubUserSchema = z.object({ id: z.number().int(), login: z.string(), name: z.string().nullish() });
const gitHubEmailsSchema = z.array(z.object({ email: z.string(), primary: z.boolean(), verified: z.boolean() }));

/**
 * GitHub (OAuth 2.0, no ID token). arctic's own `GitHub` class sends no PKCE, so the generic
 * `OAuth2Client` is used with GitHub's endpoints: GitHub honours `code_challenge` (S256), and a
 * stolen code is then useless without the verifier only this browser's flow can derive.
 */
export function gitHubProvider(config: Config): SignInProvider {
  const client = new OAuth2Client(
    config.GITHUB_CLIENT_ID ?? "",
    config.GITHUB_CLIENT_SECRET ?? "",
    callbackUrl(config, "github"),
  );
  return {
    id: "github",
    name: "GitHub",
    usesNonce: false,
    issuers: [],
    async authorizationUrl({ state, codeVerifier }) {
      // `user:email` is the least that shows the verified addresses; nothing else is asked.
      return client.createAuthorizationURLWithPKCE(
        GITHUB_AUTHORIZATION_ENDPOINT,
        state,
        CodeChallengeMethod.S256,
        codeVerifier,
        ["read:user", "user:email"],
      );
    },
    async identify(code, { codeVerifier }): Promise<ProviderIdentity> {
      const tokens = await exchangeCode(() =>
        client.validateAuthorizationCode(GITHUB_TOKEN_ENDPOINT, code, codeVerifier),
      );
      const accessToken = tokens.accessToken();
      const headers = {
        Authorization: `Bearer ${accessToken}`,
        Accept: "application/vnd.github+json",
        "X-GitHub-Api-Version": "2022-11-28",
      };
      const user = gitHubUserSchema.safeParse(await providerFetch(`${GITHUB_API}/user`, headers));
      if (!user.success) throw new ProviderFailure("provider_unavailable", "github_user_unreadable");
      const emails = gitHubEmailsSchema.safeParse(await providerFetch(`${GITHUB_API}/user/emails`, headers));
      if (!emails.success) throw new ProviderFailure("provider_unavailable", "github_emails_unreadable");
      // Only the primary address, and only once GitHub has verified it: a secondary or unverified
      // address proves nothing about who owns the mailbox.
      const primary = emails.data.find((entry) => entry.primary && entry.verified);
      return {
        subject: String(user.data.id),
        email: primary ? primary.email.trim().toLowerCase() : null,
        emailVerified: Boolean(primary),
        name: user.data.name ?? user.data.login,
      };
    },
  };
}
