/** Where the console lives: its responses get the console's CSP instead of the API's. */
export const CONSOLE_ROOT = "/console";

export function isConsolePath(path: string): boolean {
  return path === CONSOLE_ROOT || path.startsWith(`${CONSOLE_ROOT}/`);
}

/** The API reference (src/docs/): a page like the console's, under the same CSP. */
export const DOCS_PATH = "/docs";

/** Whether a path serves an HTML page (the console's CSP) rather than JSON (the API's). */
export function isPagePath(path: string): boolean {
  return isConsolePath(path) || path === DOCS_PATH;
}
