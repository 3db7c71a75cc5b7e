import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import type { Bindings } from "../../src/env";
import worker from "../../src/index";
import { rememberExchange } from "./secret-registry";

/**
 * Sends a request to the Worker under a different configuration (production CORS, a rotated
 * or missing secret), with the same real D1 and Durable Object bindings.
 */
export async function fetchWithEnv(overrides: Partial<Record<keyof Bindings, unknown>>, request: Request) {
  const sent = request.clone();
  const ctx = createExecutionContext();
  const response = await worker.fetch(request, { ...env, ...overrides } as Bindings, ctx);
  await waitOnExecutionContext(ctx);
  await rememberExchange(sent.headers, await sent.text(), response);
  return response;
}

/**
 * What a deployment sets besides its origins: Workers AI as the generator, and the passkeys' RP ID
 * and origins (required outside development). The test pool has no
 * Workers AI (it cannot run locally), so the binding is one that refuses every call: these
 * settings serve tests of everything but generation (CORS, headers, configuration checks).
 */
export const deployedSettings = {
  IMAGE_GENERATOR: "workers-ai",
  WEBAUTHN_RP_ID: "imagebot.test",
  WEBAUTHN_ORIGINS: "https://app.imagebot.test",
  AI: { run: () => Promise.reject(new Error("Workers AI is not reachable from the test pool")) },
};
