import { encodePng } from "./png";

export type ImageSize = "256x256" | "512x512" | "1024x1024";

export interface GeneratedImage {
  bytes: Uint8Array;
  contentType: "image/png" | "image/jpeg";
}

/** The seam between the app and whatever draws pictures, so tests and local dev need no AI service. */
export interface ImageGenerator {
  readonly name: string;
  generate(request: { prompt: string; size: ImageSize }): Promise<GeneratedImage>;
}

function dimensions(size: ImageSize): { width: number; height: number } {
  const [width, height] = size.split("x").map(Number) as [number, number];
  return { width, height };
}

/**
 * Draws a real PNG without any network: a diagonal gradient, stripes and three circles, all derived
 * from SHA-256 of the prompt, so the same prompt and size always yield the same bytes and different
 * prompts visibly differ.
 */
export function localImageGenerator(): ImageGenerator {
  return {
    name: "local",
    async generate({ prompt, size }) {
      const { width, height } = dimensions(size);
      const d = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(prompt)));
      const at = (i: number) => d[i] as number;

      // Bytes 0..8: gradient start, gradient end and circle colour.
      const start = [at(0), at(1), at(2)] as const;
      const end = [at(3), at(4), at(5)] as const;
      const accent = [at(6), at(7), at(8)] as const;

      // Geometry is expressed relative to a 256-pixel canvas so every size shows the same picture.
      const scale = Math.min(width, height) / 256;
      const stripePeriod = (12 + (at(9) % 36)) * scale;
      const stripeDx = (at(10) & 1 ? 1 : -1) * (1 + (at(10) >> 6));
      const circles = [0, 1, 2].map((i) => {
        const cx = (at(11 + 3 * i) / 255) * width;
        const cy = (at(12 + 3 * i) / 255) * height;
        const r = (20 + (at(13 + 3 * i) % 60)) * scale;
        return { cx, cy, r2: r * r, alpha: 0.45 + 0.15 * i };
      });

      const rgb = new Uint8Array(width * height * 3);
      const diagonal = Math.max(1, width + height - 2);
      let o = 0;
      for (let y = 0; y < height; y++) {
        for (let x = 0; x < width; x++) {
          const t = (x + y) / diagonal;
          let r = start[0] + (end[0] - start[0]) * t;
          let g = start[1] + (end[1] - start[1]) * t;
          let b = start[2] + (end[2] - start[2]) * t;

          if (Math.floor((x * stripeDx + y) / stripePeriod) & 1) {
            r *= 0.85;
            g *= 0.85;
            b *= 0.85;
          }

          for (let i = 0; i < 3; i++) {
            const c = circles[i] as (typeof circles)[number];
            const dx = x - c.cx;
            const dy = y - c.cy;
            if (dx * dx + dy * dy <= c.r2) {
              r += (accent[0] - r) * c.alpha;
              g += (accent[1] - g) * c.alpha;
              b += (accent[2] - b) * c.alpha;
            }
          }

          rgb[o++] = r;
          rgb[o++] = g;
          rgb[o++] = b;
        }
      }

      return { bytes: await encodePng(width, height, rgb), contentType: "image/png" };
    },
  };
}

/** Workers AI text-to-image; FLUX.1 [schnell] answers with a base64 JPEG. */
export function workersAiImageGenerator(ai: Ai, model = "@cf/black-forest-labs/flux-1-schnell"): ImageGenerator {
  return {
    name: "workers-ai",
    async generate({ prompt }) {
      // `model` is a plain string, so this resolves to the untyped overload and the answer is checked below.
      const answer = await ai.run(model, { prompt });
      const image = answer.image;
      if (typeof image !== "string" || image.length === 0) throw new Error("Workers AI returned no image");
      const bytes = Uint8Array.from(atob(image), (char) => char.charCodeAt(0));
      return { bytes, contentType: "image/jpeg" };
    },
  };
}
