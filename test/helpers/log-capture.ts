/**
 * Every line written to the console in this isolate: the tests', the Worker's and its Durable
 * Objects' (they share the isolate). Installed once per test file by the leak guard.
 */
const lines: string[] = [];
let installed = false;

export function captureConsole(): void {
  if (installed) return;
  installed = true;
  for (const level of ["log", "info", "warn", "error", "debug"] as const) {
    const original = console[level].bind(console);
    console[level] = (...args: unknown[]) => {
      lines.push(args.map((arg) => (typeof arg === "string" ? arg : describe(arg))).join(" "));
      original(...args);
    };
  }
}

export function capturedLines(): readonly string[] {
  return lines;
}

function describe(value: unknown): string {
  if (value instanceof Error) return `${value.name}: ${value.message}\n${value.stack ?? ""}`;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
