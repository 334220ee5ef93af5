// image-viewer: a small PNG reader (8-bit greyscale, RGB and RGBA, not interlaced): walks the
// chunks checking each CRC, inflates the image data and undoes the per-row filters.
import { Buffer } from "node:buffer";
import { crc32, inflateSync } from "node:zlib";
import { defineModule } from "chipset/module";

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const COLOR_TYPES = { 0: ["greyscale", 1], 2: ["RGB", 3], 4: ["greyscale+alpha", 2], 6: ["RGBA", 4] };
let files;

function parse(bytes, path) {
  if (!SIGNATURE.every((b, i) => bytes[i] === b)) throw new Error(`${path} is not a PNG file`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const chunks = [];
  const idat = [];
  let header;
  for (let at = 8; at < bytes.length;) {
    const length = view.getUint32(at);
    const type = String.fromCharCode(...bytes.subarray(at + 4, at + 8));
    const data = bytes.subarray(at + 8, at + 8 + length);
    if (crc32(bytes.subarray(at + 4, at + 8 + length)) !== view.getUint32(at + 8 + length))
      throw new Error(`${path}: bad CRC in ${type} chunk`);
    chunks.push(type);
    if (type === "IHDR") {
      const [colorType, channels] = COLOR_TYPES[data[9]] ?? [];
      header = {
        width: view.getUint32(at + 8),
        height: view.getUint32(at + 12),
        bitDepth: data[8],
        colorType,
        channels,
        interlaced: data[12] === 1,
      };
    } else if (type === "IDAT") idat.push(data);
    else if (type === "IEND") break;
    at += 12 + length;
  }
  if (!header) throw new Error(`${path} has no IHDR chunk`);
  return { header, chunks, idat };
}

function unfilter(raw, width, height, bpp) {
  const stride = width * bpp;
  const pixels = new Uint8Array(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const row = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    const out = pixels.subarray(y * stride, (y + 1) * stride);
    const prev = y > 0 ? pixels.subarray((y - 1) * stride, y * stride) : new Uint8Array(stride);
    for (let i = 0; i < stride; i++) {
      const a = i >= bpp ? out[i - bpp] : 0;
      const b = prev[i];
      const c = i >= bpp ? prev[i - bpp] : 0;
      let predictor = 0;
      if (filter === 1) predictor = a;
      else if (filter === 2) predictor = b;
      else if (filter === 3) predictor = (a + b) >> 1;
      else if (filter === 4) {
        const p = a + b - c;
        const [pa, pb, pc] = [Math.abs(p - a), Math.abs(p - b), Math.abs(p - c)];
        predictor = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      } else if (filter !== 0) throw new Error(`unknown PNG row filter ${filter}`);
      out[i] = (row[i] + predictor) & 0xff;
    }
  }
  return pixels;
}

export const module = defineModule({
  init(ctx) {
    files = ctx.use("file-io");
  },
  api: {
    /** What a viewer would display about the image (no pixels). */
    async show(path) {
      const bytes = await files.read(path);
      const { header, chunks } = parse(bytes, path);
      return { path, format: "png", sizeBytes: bytes.length, ...header, chunks };
    },
    /** The image's pixels, row by row, `channels` bytes each. */
    async decode(path) {
      const { header, idat } = parse(await files.read(path), path);
      if (header.bitDepth !== 8 || header.interlaced || !header.channels) {
        throw new Error(`${path}: only 8-bit, non-interlaced PNGs are supported`);
      }
      const raw = inflateSync(Buffer.concat(idat));
      return {
        width: header.width,
        height: header.height,
        channels: header.channels,
        pixels: unfilter(raw, header.width, header.height, header.channels),
      };
    },
  },
});
