/**
 * Just enough of an OpenAPI 3.1 document to render /docs from it, and short readable text for
 * a JSON schema ("string, 1..100 chars", "array of Image", "one of: read, generate, manage").
 */
export interface JsonSchema {
  $ref?: string;
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  description?: string;
  format?: string;
  default?: unknown;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  minItems?: number;
  maxItems?: number;
}

export interface Parameter {
  name: string;
  in: string;
  required?: boolean;
  description?: string;
  schema?: JsonSchema;
}

export interface MediaType {
  schema?: JsonSchema;
  examples?: Record<string, { summary?: string }>;
}

export interface ResponseObject {
  description: string;
  content?: Record<string, MediaType>;
}

export interface Operation {
  operationId: string;
  tags?: string[];
  summary?: string;
  description?: string;
  security?: Record<string, string[]>[];
  parameters?: Parameter[];
  requestBody?: { content?: Record<string, MediaType> };
  responses: Record<string, ResponseObject>;
}

export interface ApiDocument {
  info: { title: string; description?: string; version: string };
  servers?: { url: string; description?: string }[];
  tags?: { name: string; description?: string }[];
  paths: Record<string, Record<string, Operation>>;
  components?: {
    schemas?: Record<string, JsonSchema>;
    securitySchemes?: Record<string, { description?: string }>;
  };
}

const refName = (ref: string) => ref.slice(ref.lastIndexOf("/") + 1);

/** Follows a `$ref` to components.schemas (one level: the schemas there are written out). */
export function resolveSchema(document: ApiDocument, schema: JsonSchema | undefined): JsonSchema | undefined {
  if (!schema?.$ref) return schema;
  return document.components?.schemas?.[refName(schema.$ref)];
}

function range(min: number | undefined, max: number | undefined, unit: string): string | undefined {
  if (min === undefined && max === undefined) return undefined;
  if (min !== undefined && max !== undefined) return `${min}..${max}${unit}`;
  return min !== undefined ? `at least ${min}${unit}` : `at most ${max}${unit}`;
}

/** The type of a schema in a few words. */
export function schemaText(schema: JsonSchema | undefined): string {
  if (!schema) return "any";
  if (schema.$ref) return refName(schema.$ref);
  const variants = schema.anyOf ?? schema.oneOf;
  if (variants) return variants.map(schemaText).join(" | ");
  if (schema.const !== undefined) return JSON.stringify(schema.const);
  if (schema.enum) return `one of: ${schema.enum.map((value) => JSON.stringify(value)).join(", ")}`;
  const types = Array.isArray(schema.type) ? schema.type : schema.type ? [schema.type] : [];
  const main = types.filter((type) => type !== "null");
  let text = main.join(" | ") || "any";
  if (main.includes("array")) text = `array of ${schemaText(schema.items)}`;
  const details = [
    schema.format,
    range(schema.minLength, schema.maxLength, " chars"),
    range(schema.minimum, schema.maximum, ""),
    range(schema.minItems, schema.maxItems, " items"),
    schema.default !== undefined ? `default ${JSON.stringify(schema.default)}` : undefined,
  ].filter(Boolean);
  if (details.length > 0) text += `, ${details.join(", ")}`;
  return types.includes("null") ? `${text} (or null)` : text;
}
