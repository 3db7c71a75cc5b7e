/** Where the console lives: its responses get the console's CSP instead of the API's. */
export const CONSOLE_ROOT = "/console";

export function isConsolePath(path: string): boolean {
  return path === CONSOLE_ROOT || path.startsWith(`${CONSOLE_ROOT}/`);
}
