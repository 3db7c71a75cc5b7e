/**
 * The console's whole stylesheet, inlined with the response's nonce: plain, readable at 360 px,
 * a visible focus ring on everything that takes focus.
 */
export const consoleStyles = `
*, *::before, *::after { box-sizing: border-box; }
[hidden] { display: none !important; }
.sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); white-space: nowrap; }
.skip { position: absolute; left: -999px; top: 0; background: #fff; color: #1f2a44; padding: 0.5rem; }
.skip:focus { left: 0.5rem; z-index: 1; }
body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1b1b1b; background: #f6f7f9; }
header { background: #1f2a44; color: #fff; padding: 0.5rem 1rem; }
header a, header button { color: #fff; }
.brand { font-weight: 700; margin: 0 0 0.25rem; }
nav ul { list-style: none; margin: 0; padding: 0; display: flex; flex-wrap: wrap; gap: 0.25rem 1rem; align-items: center; }
nav a[aria-current="page"] { font-weight: 700; }
main { max-width: 48rem; margin: 0 auto; padding: 1rem; }
section { background: #fff; border: 1px solid #d5d9e0; border-radius: 6px; padding: 1rem; margin: 1rem 0; }
h1 { font-size: 1.6rem; margin: 0.5rem 0 1rem; }
h2 { font-size: 1.2rem; margin: 0 0 0.75rem; }
label { display: block; font-weight: 600; margin: 0.75rem 0 0.25rem; }
label.check { display: flex; gap: 0.5rem; align-items: center; font-weight: 400; }
fieldset { border: 1px solid #d5d9e0; border-radius: 4px; margin: 0.75rem 0; }
input[type="text"], input[type="email"], input[type="password"], select {
  width: 100%; max-width: 28rem; padding: 0.5rem; font: inherit; border: 1px solid #8a93a3; border-radius: 4px; background: #fff;
}
button { font: inherit; padding: 0.45rem 0.9rem; margin: 0.75rem 0.5rem 0 0; border: 1px solid #1f2a44; border-radius: 4px; background: #1f2a44; color: #fff; cursor: pointer; }
button.secondary { background: #fff; color: #1f2a44; }
header button { background: transparent; border-color: #fff; margin: 0; padding: 0.1rem 0.6rem; }
td button { margin: 0.25rem 0.25rem 0.25rem 0; }
button:disabled { opacity: 0.6; cursor: wait; }
:focus-visible { outline: 3px solid #f5a623; outline-offset: 2px; }
.notice { padding: 0.75rem; border-radius: 4px; margin: 1rem 0; }
.notice:empty { display: none; }
#error { background: #fdecea; border: 1px solid #b3261e; color: #7a1712; }
#message { background: #e7f5ea; border: 1px solid #2e7d32; color: #1b4d20; }
.once { background: #fff8e1; border: 1px solid #b7791f; padding: 0.75rem; border-radius: 4px; }
code, .secret { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; overflow-wrap: anywhere; }
/* Narrow screens scroll a wide table sideways (browsers let the keyboard focus a scroller). */
.table-wrap { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; min-width: 34rem; font-size: 0.9rem; }
th, td { text-align: left; padding: 0.4rem; border-bottom: 1px solid #e1e4ea; vertical-align: top; overflow-wrap: break-word; }
td:nth-child(4) { max-width: 14rem; }
img.qr { display: block; width: 12rem; height: 12rem; image-rendering: pixelated; background: #fff; }
.hint { color: #4a5263; font-size: 0.9rem; margin: 0.25rem 0; }
`;
