import type { Bindings, Config } from "../env";
import { type ImageGenerator, localImageGenerator, workersAiImageGenerator } from "./image-generator";

/**
 * The configured generator: the local, deterministic PNG renderer (default, no network), or
 * Workers AI when IMAGE_GENERATOR=workers-ai and an `AI` binding is configured.
 */
export function imageGeneratorFor(env: Bindings, config: Config): ImageGenerator {
  if (config.IMAGE_GENERATOR === "workers-ai") {
    if (!env.AI) throw new Error("IMAGE_GENERATOR=workers-ai needs an AI binding");
    return workersAiImageGenerator(env.AI);
  }
  return localImageGenerator();
}
