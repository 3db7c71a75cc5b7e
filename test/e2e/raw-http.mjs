// HTTP/1.1 written by hand on a `node:net` socket, for the clients `fetch` cannot be: one that
// sends a chunked or oversized body exactly as given, or that hangs up half-way through a request.
import net from "node:net";

/** The request head: request line, headers, blank line. `Connection: close` ends each exchange. */
export function requestHead(method, path, headers) {
  const lines = [`${method} ${path} HTTP/1.1`, "Host: 127.0.0.1", "Connection: close"];
  for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
  return `${lines.join("\r\n")}\r\n\r\n`;
}

/** A body in the chunked transfer coding (RFC 9112 §7.1), cut into chunks of `size` bytes. */
export function chunked(body, size = 8 * 1024) {
  const bytes = Buffer.from(body);
  const parts = [];
  for (let start = 0; start < bytes.length; start += size) {
    const chunk = bytes.subarray(start, start + size);
    parts.push(Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from("\r\n"));
  }
  parts.push(Buffer.from("0\r\n\r\n"));
  return Buffer.concat(parts);
}

function connect(port) {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: "127.0.0.1", port }, () => resolve(socket));
    socket.once("error", reject);
  });
}

/**
 * Parses a complete `Connection: close` answer the way `fetch` would hand it over: a Headers
 * object, and the body parsed when it is JSON. (The Worker's answers carry a length, never chunks.)
 */
function parseResponse(raw) {
  const end = raw.indexOf("\r\n\r\n");
  if (end < 0) return null;
  const [statusLine, ...lines] = raw.subarray(0, end).toString("latin1").split("\r\n");
  const headers = new Headers();
  for (const line of lines) {
    const colon = line.indexOf(":");
    headers.append(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
  }
  const text = raw.subarray(end + 4).toString("utf8");
  const json = /json/.test(headers.get("Content-Type") ?? "") && text !== "";
  return { status: Number(statusLine.split(" ")[1]), headers, body: json ? JSON.parse(text) : text };
}

/**
 * Sends `head` then `body`, and reads the answer until the server closes. A server that answers
 * early (413) and closes while the body is still being written is normal HTTP: write errors are
 * ignored, whatever was received is parsed. Resolves null when no response arrived at all.
 */
export async function exchange(port, head, body = Buffer.alloc(0), { timeoutMs = 15_000 } = {}) {
  const socket = await connect(port);
  const received = [];
  socket.on("data", (chunk) => received.push(chunk));
  const closed = new Promise((resolve) => {
    socket.once("close", resolve);
    socket.on("error", () => {});
  });
  const timer = setTimeout(() => socket.destroy(), timeoutMs);
  socket.write(head);
  socket.end(body);
  await closed;
  clearTimeout(timer);
  return parseResponse(Buffer.concat(received));
}

/**
 * A client that gives up: sends `head` and `partialBody`, waits `afterMs` (so the bytes reach the
 * server and the Worker starts on them), then goes without reading anything: with a FIN (the
 * socket is closed, as by a killed browser tab) or, with `reset`, a TCP RST (as by a crashed host
 * or a client that sets SO_LINGER to 0).
 */
export async function hangUp(port, head, partialBody = Buffer.alloc(0), { afterMs = 50, reset = false } = {}) {
  const socket = await connect(port);
  socket.on("error", () => {});
  socket.write(head);
  if (partialBody.length) socket.write(partialBody);
  await new Promise((resolve) => setTimeout(resolve, afterMs));
  if (reset) socket.resetAndDestroy();
  else socket.destroy();
}
