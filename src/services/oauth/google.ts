import { Google } from "arctic";
import type { Config } from "../../env";
import { verifyIdToken } from "./id-token";
import { callbackUrl, ProviderFailure, type SignInProvider } from "./provider";
import { exchangeCode } from "./provider-http";

export const GOOGLE_JWKS_URI = "https://www.googleapis.com/oauth2/v3/certs";
/** Google signs with either spelling of its issuer (Google's OpenID Connect documentation). */
export const GOOGLE_ISSUERS = ["https://accounts.google.com", "accounts.google.com"];

/** Google (OIDC): arctic's `Google` (PKCE S256) for the code, the ID token for who signed in. */
export function googleProvider(config: Config): SignInProvider {
  const clientId = config.GOOGLE_CLIENT_ID ?? "";
  const google = new Google(clientId, config.GOOGLE_CLIENT_SECRET ?? "", callbackUrl(config, "google"));
  return {
    id: "google",
    name: "Google",
    usesNonce: true,
    issuers: GOOGLE_ISSUERS,
    async authorizationUrl({ state, codeVerifier, nonce }) {
      const url = google.createAuthorizationURL(state, codeVerifier, ["openid", "email", "profile"]);
      url.searchParams.set("nonce", nonce);
      return url;
    },
    async identify(code, { codeVerifier, nonceHash }) {
      const tokens = await exchangeCode(() => google.validateAuthorizationCode(code, codeVerifier));
      let idToken: string;
      try {
        idToken = tokens.idToken();
      } catch {
        throw new ProviderFailure("invalid_id_token", "missing");
      }
      return verifyIdToken(idToken, { jwksUri: GOOGLE_JWKS_URI, issuers: GOOGLE_ISSUERS, clientId, nonceHash });
    },
  };
}
