import type { Bindings, Config } from "../env";
import { type ImageGenerator, localImageGenerator, workersAiImageGenerator } from "./image-generator";

/**
 * The configured generator: Workers AI (IMAGE_GENERATOR=workers-ai, the `AI` binding and
 * IMAGE_MODEL; what staging and production use), or the local, deterministic PNG renderer, which
 * the configuration allows only in development (src/env.ts).
 */
export function imageGeneratorFor(env: Bindings, config: Config): ImageGenerator {
  if (config.IMAGE_GENERATOR === "workers-ai") {
    if (!env.AI) throw new Error("IMAGE_GENERATOR=workers-ai needs an AI binding");
    return workersAiImageGenerator(env.AI, config.IMAGE_MODEL);
  }
  return localImageGenerator();
}
