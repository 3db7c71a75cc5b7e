// @imagebot/edge-client: a typed client of the ImageBot API, generated types (schema.d.ts, from the
// /openapi.json the Worker serves) under a thin wrapper on openapi-fetch. Never imported by the
// Worker: it stays out of its bundle.
export {
  createImageBotClient,
  type ImageBotClient,
  type ImageBotClientOptions,
  type ListItem,
  type ListPath,
  type paths,
  type ResponseData,
} from "./client.ts";
export { type FieldError, ImageBotApiError } from "./errors.ts";
export type { RetryOptions } from "./retry.ts";
export type { components, operations } from "./schema.js";
