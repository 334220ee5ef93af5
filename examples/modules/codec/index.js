// codec: reads CVF, a tiny container made up for this demo. Layout (big-endian):
//   0  "CVF1"          4  width u16        6  height u16     8  fps u8     9  flags u8
//   10 frames u16      12 codec "RLE8"     16 title length n u8            17 title (UTF-8)
//   then per frame: payload length u32, payload of (count u8, value u8) runs, width*height bytes decoded.
import { crc32 } from "node:zlib";
import { TextDecoder } from "node:util";
import { defineModule } from "chipset/module";

const HEADER_BYTES = 17;
let files;
let accel;

function parseHeader(bytes, path) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = String.fromCharCode(...bytes.subarray(0, 4));
  if (bytes.length < HEADER_BYTES || magic !== "CVF1")
    throw new Error(`${path} is not a CVF file (magic "${magic}")`);
  const codec = String.fromCharCode(...bytes.subarray(12, 16));
  if (codec !== "RLE8") throw new Error(`${path} uses codec ${codec}; only RLE8 is supported`);
  const titleLength = bytes[16];
  const header = {
    width: view.getUint16(4),
    height: view.getUint16(6),
    fps: bytes[8],
    keyframesOnly: (bytes[9] & 1) === 1,
    frames: view.getUint16(10),
    codec,
    title: new TextDecoder().decode(bytes.subarray(HEADER_BYTES, HEADER_BYTES + titleLength)),
    dataOffset: HEADER_BYTES + titleLength,
  };
  header.durationMs = Math.round((header.frames * 1000) / header.fps);
  return header;
}

function softwareRle8(payload, size) {
  const frame = new Uint8Array(size);
  let at = 0;
  for (let i = 0; i + 1 < payload.length; i += 2)
    for (let n = 0; n < payload[i]; n++) frame[at++] = payload[i + 1];
  if (at !== size) throw new Error(`RLE8 payload decodes to ${at} bytes, expected ${size}`);
  return frame;
}

export const module = defineModule({
  async init(ctx) {
    files = ctx.use("file-io");
    accel = ctx.optional("gpu-accel");
    const backend = accel ? `gpu-accel (${(await accel.device()).name})` : "software";
    ctx.log.info({ backend }, "codec ready");
  },
  api: {
    backend() {
      return accel ? "gpu-accel" : "software";
    },
    /** The container header of a CVF file. */
    async probe(path) {
      const head = await files.read(path, { length: HEADER_BYTES + 255 });
      const header = parseHeader(head, path);
      delete header.dataOffset;
      return header;
    },
    /** Decodes every frame; returns counts and a checksum of the decoded pixels (not the pixels). */
    async decode(path) {
      const bytes = await files.read(path);
      const header = parseHeader(bytes, path);
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      const size = header.width * header.height;
      let at = header.dataOffset;
      let checksum = 0;
      let luma = 0;
      for (let f = 0; f < header.frames; f++) {
        if (at + 4 > bytes.length)
          throw new Error(`${path} is truncated at frame ${f + 1} of ${header.frames}`);
        const length = view.getUint32(at);
        const payload = bytes.subarray(at + 4, at + 4 + length);
        const frame = accel ? await accel.decodeRle8(payload, size) : softwareRle8(payload, size);
        checksum = crc32(frame, checksum);
        for (let i = 0; i < frame.length; i++) luma += frame[i];
        at += 4 + length;
      }
      return {
        frames: header.frames,
        bytes: header.frames * size,
        checksum,
        meanLuma: Math.round(luma / (header.frames * size)),
        backend: accel ? "gpu-accel" : "software",
      };
    },
  },
});
