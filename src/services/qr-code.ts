import { renderSVG } from "uqr";

/**
 * A QR code as an SVG `data:` URI, drawn on the server (no script, no third party). Shown in an
 * `<img>`, where an SVG cannot run script; the console's CSP allows `img-src data:`.
 */
export function qrCodeSvgDataUri(text: string): string {
  const svg = renderSVG(text, { border: 2, pixelSize: 6 });
  // The SVG is plain ASCII markup, so btoa (Latin-1) encodes it as is.
  return `data:image/svg+xml;base64,${btoa(svg)}`;
}
