import { CodeChallengeMethod, OAuth2Client } from "arctic";
import * as z from "zod";
import type { Config } from "../../env";
import { verifyIdToken } from "./id-token";
import { callbackUrl, ProviderFailure, type SignInProvider } from "./provider";
import { exchangeCode, providerFetch } from "./provider-http";

/** How long an isolate trusts a discovery document (a key rotation still arrives through the JWKS). */
export const DISCOVERY_TTL_MS = 10 * 60 * 1000;

const discoverySchema = z.object({
  issuer: z.string(),
  authorization_endpoint: z.url({ protocol: /^https?$/ }),
  token_endpoint: z.url({ protocol: /^https?$/ }),
  jwks_uri: z.url({ protocol: /^https?$/ }),
});
type Discovery = z.infer<typeof discoverySchema>;

const discoveries = new Map<string, { document: Discovery; fetchedAt: number }>();

/**
 * The issuer's discovery document (OpenID Connect Discovery 1.0 §4), cached per isolate for a
 * few minutes. Its `issuer` must be exactly the configured one (§4.3): otherwise a document
 * served at that address could make us trust tokens of another issuer.
 */
export async function discover(issuer: string, now = Date.now()): Promise<Discovery> {
  const cached = discoveries.get(issuer);
  if (cached && now - cached.fetchedAt < DISCOVERY_TTL_MS) return cached.document;
  const url = `${issuer.replace(/\/$/, "")}/.well-known/openid-configuration`;
  const parsed = discoverySchema.safeParse(await providerFetch(url));
  if (!parsed.success) throw new ProviderFailure("provider_unavailable", "discovery_unreadable");
  if (parsed.data.issuer !== issuer) throw new ProviderFailure("provider_unavailable", "discovery_issuer_mismatch");
  discoveries.set(issuer, { document: parsed.data, fetchedAt: now });
  return parsed.data;
}

/** Forgets cached discovery documents (tests that change what the issuer serves). */
export function forgetDiscoveries() {
  discoveries.clear();
}

/**
 * Any OpenID provider, by OIDC_ISSUER: discovery, then arctic's `OAuth2Client` for the code
 * exchange with PKCE S256 (client_secret_basic), then the ID token checked with jose.
 */
export function oidcProvider(config: Config): SignInProvider {
  const issuer = config.OIDC_ISSUER ?? "";
  const clientId = config.OIDC_CLIENT_ID ?? "";
  const client = new OAuth2Client(clientId, config.OIDC_CLIENT_SECRET ?? "", callbackUrl(config, "oidc"));
  return {
    id: "oidc",
    name: config.OIDC_NAME,
    usesNonce: true,
    issuers: [issuer],
    async authorizationUrl({ state, codeVerifier, nonce }) {
      const { authorization_endpoint } = await discover(issuer);
      const url = client.createAuthorizationURLWithPKCE(
        authorization_endpoint,
        state,
        CodeChallengeMethod.S256,
        codeVerifier,
        ["openid", "email", "profile"],
      );
      url.searchParams.set("nonce", nonce);
      return url;
    },
    async identify(code, { codeVerifier, nonceHash }) {
      const { token_endpoint, jwks_uri } = await discover(issuer);
      const tokens = await exchangeCode(() => client.validateAuthorizationCode(token_endpoint, code, codeVerifier));
      let idToken: string;
      try {
        idToken = tokens.idToken();
      } catch {
        throw new ProviderFailure("invalid_id_token", "missing");
      }
      return verifyIdToken(idToken, { jwksUri: jwks_uri, issuers: [issuer], clientId, nonceHash });
    },
  };
}
