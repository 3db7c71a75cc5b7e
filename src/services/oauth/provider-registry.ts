import type { Config } from "../../env";
import { ApiError } from "../../errors";
import { gitHubProvider } from "./github";
import { googleProvider } from "./google";
import { oidcProvider } from "./oidc";
import { enabledProviders, type ProviderId, providerIds, type SignInProvider } from "./provider";

const isProviderId = (value: string): value is ProviderId => (providerIds as readonly string[]).includes(value);

/**
 * The provider a route names, or 404 `not_found`: a provider without its settings has no
 * routes at all (API.md), so a disabled one answers exactly like a path that does not exist.
 */
export function requireProvider(config: Config, id: string): SignInProvider {
  if (!isProviderId(id) || !enabledProviders(config).some((provider) => provider.id === id)) {
    throw new ApiError("not_found");
  }
  switch (id) {
    case "github":
      return gitHubProvider(config);
    case "google":
      return googleProvider(config);
    case "oidc":
      return oidcProvider(config);
  }
}
