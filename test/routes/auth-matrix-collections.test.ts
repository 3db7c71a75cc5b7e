import { describeAuthMatrix } from "../helpers/auth-matrix";
import { routeSamples } from "../helpers/route-samples";

// The shared auth matrix over the collections routes (split by area to keep each pool file short).
const prefixes = ["/v1/collections"];
for (const [route, sample] of Object.entries(routeSamples)) {
  const path = route.split(" ")[1] ?? "";
  if (prefixes.some((prefix) => path.startsWith(prefix))) describeAuthMatrix(route, sample);
}
