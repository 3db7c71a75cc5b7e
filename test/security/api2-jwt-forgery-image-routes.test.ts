// OWASP API2:2023 broken authentication; ASVS 5.0 V9.1, V9.2, V7.4. The forgery corpus of
// helpers/auth-matrix.ts against every credentialed image route.
import { describeAuthMatrix } from "../helpers/auth-matrix";
import { routeSamples } from "../helpers/route-samples";

// The shared auth matrix over the images routes (split by area to keep each pool file short).
const prefixes = ["/v1/images"];
for (const [route, sample] of Object.entries(routeSamples)) {
  const path = route.split(" ")[1] ?? "";
  if (prefixes.some((prefix) => path.startsWith(prefix))) describeAuthMatrix(route, sample);
}
