import { describe, expect, it } from "vitest";
import { type ImageSize, localImageGenerator, workersAiImageGenerator } from "../../src/services/image-generator";
import { encodePng } from "../../src/services/png";

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** Bitwise CRC-32, deliberately independent of the table-based one under test. */
function referenceCrc32(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

interface Chunk {
  type: string;
  data: Uint8Array;
  crc: number;
  /** Type and data, the bytes the CRC covers. */
  covered: Uint8Array;
}

function readChunks(png: Uint8Array): Chunk[] {
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  const chunks: Chunk[] = [];
  let offset = 8;
  while (offset < png.length) {
    const length = view.getUint32(offset);
    const type = String.fromCharCode(...png.subarray(offset + 4, offset + 8));
    const data = png.subarray(offset + 8, offset + 8 + length);
    const crc = view.getUint32(offset + 8 + length);
    chunks.push({ type, data, crc, covered: png.subarray(offset + 4, offset + 8 + length) });
    offset += 12 + length;
  }
  expect(offset).toBe(png.length);
  return chunks;
}

async function inflate(data: Uint8Array): Promise<Uint8Array> {
  const stream = new DecompressionStream("deflate");
  const writer = stream.writable.getWriter();
  const [, out] = await Promise.all([
    writer.write(data).then(() => writer.close()),
    new Response(stream.readable).arrayBuffer(),
  ]);
  return new Uint8Array(out);
}

function idat(chunks: Chunk[]): Uint8Array {
  const parts = chunks.filter((c) => c.type === "IDAT").map((c) => c.data);
  const joined = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    joined.set(part, offset);
    offset += part.length;
  }
  return joined;
}

const generator = localImageGenerator();
const generate = async (prompt: string, size: ImageSize) => (await generator.generate({ prompt, size })).bytes;

describe("local image generator", () => {
  it("is named local and answers with image/png", async () => {
    expect(generator.name).toBe("local");
    const image = await generator.generate({ prompt: "a red fox", size: "256x256" });
    expect(image.contentType).toBe("image/png");
  });

  it.each([
    ["256x256", 256],
    ["512x512", 512],
    ["1024x1024", 1024],
  ] as const)("produces a valid %s PNG", async (size, side) => {
    const png = await generate("a lighthouse at dusk", size);
    expect([...png.subarray(0, 8)]).toEqual(SIGNATURE);

    const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
    expect(String.fromCharCode(...png.subarray(12, 16))).toBe("IHDR");
    expect(view.getUint32(16)).toBe(side);
    expect(view.getUint32(20)).toBe(side);

    const chunks = readChunks(png);
    expect(chunks[0]?.type).toBe("IHDR");
    expect([...(chunks[0]?.data.subarray(8) ?? [])]).toEqual([8, 2, 0, 0, 0]);
    expect(chunks.at(-1)?.type).toBe("IEND");
    expect(chunks.at(-1)?.data.length).toBe(0);

    const raw = await inflate(idat(chunks));
    expect(raw.length).toBe(side * (1 + side * 3));
    for (let y = 0; y < side; y++) expect(raw[y * (1 + side * 3)]).toBe(0);
  });

  it("writes a correct CRC on every chunk", async () => {
    const chunks = readChunks(await generate("crc check", "512x512"));
    expect(chunks.map((c) => c.type)).toEqual(["IHDR", "IDAT", "IEND"]);
    for (const chunk of chunks) expect(chunk.crc, chunk.type).toBe(referenceCrc32(chunk.covered));
  });

  it("is deterministic per prompt and size", async () => {
    const first = await generate("a cat in a hat", "256x256");
    const second = await generate("a cat in a hat", "256x256");
    expect(second).toEqual(first);
  });

  it("draws different images for different prompts", async () => {
    const cat = await generate("a cat in a hat", "256x256");
    const dog = await generate("a dog in a hat", "256x256");
    expect(dog).not.toEqual(cat);
    const [catPixels, dogPixels] = await Promise.all([cat, dog].map((png) => inflate(idat(readChunks(png)))));
    expect(dogPixels).not.toEqual(catPixels);
  });
});

describe("encodePng", () => {
  it("round-trips pixels through the filtered scanlines", async () => {
    const rgb = Uint8Array.from({ length: 3 * 2 * 3 }, (_, i) => i * 13);
    const raw = await inflate(idat(readChunks(await encodePng(3, 2, rgb))));
    expect([...raw]).toEqual([0, ...rgb.subarray(0, 9), 0, ...rgb.subarray(9)]);
  });

  it("rejects a buffer of the wrong length", async () => {
    await expect(encodePng(2, 2, new Uint8Array(11))).rejects.toThrow(/expected 12 RGB bytes/);
  });
});

describe("the Workers AI generator (staging and production)", () => {
  it("asks the configured model for the prompt and returns its JPEG bytes", async () => {
    const jpeg = Uint8Array.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]);
    const calls: unknown[][] = [];
    // Workers AI cannot run in the pool; this binding answers the way FLUX.1 [schnell] does.
    const ai = {
      run: async (...args: unknown[]) => {
        calls.push(args);
        return { image: btoa(String.fromCharCode(...jpeg)) };
      },
    };
    const generated = await workersAiImageGenerator(ai as unknown as Ai, "@cf/test/model").generate({
      prompt: "a lighthouse",
      size: "256x256",
    });
    expect(calls).toEqual([["@cf/test/model", { prompt: "a lighthouse" }]]);
    expect(generated).toEqual({ bytes: jpeg, contentType: "image/jpeg" });
  });

  it("refuses an answer without an image rather than store an empty one", async () => {
    const ai = { run: async () => ({}) };
    await expect(
      workersAiImageGenerator(ai as unknown as Ai).generate({ prompt: "x", size: "256x256" }),
    ).rejects.toThrow(/no image/);
  });
});
