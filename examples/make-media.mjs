// Writes the demo's sample media into examples/media/: two small PNG images, a short clip in
// the made-up CVF container (see modules/codec/index.js for the format), a damaged copy of it
// and a subtitle file.
// The files are committed; run this only to regenerate them: `node examples/make-media.mjs`.
import { Buffer } from "node:buffer";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { crc32, deflateSync } from "node:zlib";

const out = join(import.meta.dirname, "media");

function chunk(type, data) {
  const body = Buffer.concat([Buffer.from(type, "latin1"), data]);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/** An 8-bit PNG (colour type 2: RGB, or 6: RGBA) from a pixel function; rows use filter 1 (Sub). */
function png(width, height, channels, pixel) {
  const rows = [];
  for (let y = 0; y < height; y++) {
    const raw = Buffer.alloc(width * channels);
    for (let x = 0; x < width; x++) raw.set(pixel(x, y), x * channels);
    const row = Buffer.alloc(1 + raw.length);
    row[0] = 1;
    for (let i = 0; i < raw.length; i++)
      row[1 + i] = (raw[i] - (i >= channels ? raw[i - channels] : 0)) & 0xff;
    rows.push(row);
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8;
  ihdr[9] = channels === 4 ? 6 : 2;
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", ihdr),
    chunk("tEXt", Buffer.from("Title\0Chipset demo image", "latin1")),
    chunk("IDAT", deflateSync(Buffer.concat(rows), { level: 9 })),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

// A sunset: sky gradient over a dark sea, a sun near the horizon.
writeFileSync(
  join(out, "sunset.png"),
  png(48, 32, 3, (x, y) => {
    const sun = (x - 30) ** 2 + (y - 17) ** 2 < 36;
    if (y >= 20) return [10, 30 + y, 60 + 2 * y];
    if (sun) return [255, 220, 120];
    return [250 - y * 4, 120 + y * 3, 90 + y * 2];
  }),
);
// An icon with transparency: a filled circle on a clear background.
writeFileSync(
  join(out, "icon.png"),
  png(16, 16, 4, (x, y) => ((x - 7.5) ** 2 + (y - 7.5) ** 2 < 49 ? [40, 140, 230, 255] : [0, 0, 0, 0])),
);

// CVF: a bright bar sweeping across a 32x24 grey frame, 24 frames at 12 fps, RLE8 frames.
function rle(bytes) {
  const out = [];
  for (let i = 0; i < bytes.length;) {
    let n = 1;
    while (n < 255 && i + n < bytes.length && bytes[i + n] === bytes[i]) n++;
    out.push(n, bytes[i]);
    i += n;
  }
  return Buffer.from(out);
}
const [width, height, fps, frames] = [32, 24, 12, 24];
const title = Buffer.from("Chipset demo reel", "utf8");
const header = Buffer.alloc(17);
header.write("CVF1", 0, "latin1");
header.writeUInt16BE(width, 4);
header.writeUInt16BE(height, 6);
header[8] = fps;
header[9] = 1; // flags: every frame is a keyframe
header.writeUInt16BE(frames, 10);
header.write("RLE8", 12, "latin1");
header[16] = title.length;
const parts = [header, title];
// damaged.cvf: the same clip, but frame 3 starts with a zero-length run of 0xEE: harmless to a
// plain decoder, fatal to gpu-accel's (simulated) driver.
const damaged = [header, title];
for (let f = 0; f < frames; f++) {
  const frame = Buffer.alloc(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++)
      frame[y * width + x] = Math.abs(x - (f * width) / frames) < 2 ? 240 : 40 + y;
  }
  const payload = rle(frame);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(payload.length);
  parts.push(length, payload);
  const bad = f === 2 ? Buffer.concat([Buffer.from([0, 0xee]), payload]) : payload;
  const badLength = Buffer.alloc(4);
  badLength.writeUInt32BE(bad.length);
  damaged.push(badLength, bad);
}
writeFileSync(join(out, "clip.cvf"), Buffer.concat(parts));
writeFileSync(join(out, "damaged.cvf"), Buffer.concat(damaged));

writeFileSync(
  join(out, "clip.srt"),
  [
    "1",
    "00:00:00,000 --> 00:00:00,900",
    "A bar of light",
    "",
    "2",
    "00:00:01,000 --> 00:00:02,000",
    "sweeps across the frame.",
    "",
  ].join("\n"),
);
