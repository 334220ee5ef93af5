// thumbnailer: started by the runtime when "media.imported" is activated. On start it catches up
// with every import published on the event bus since it last looked, and writes a thumbnail (a
// binary PPM, box-filtered, alpha over white) for each image through file-io.
import { Buffer } from "node:buffer";
import { basename, extname } from "node:path";
import { defineModule } from "chipset/module";

let deps;
let size = 0;
let outDir = "";
let lastSeq = 0;
let made = [];

function shrink({ width, height, channels, pixels }, max) {
  const scale = Math.max(width, height) / max;
  const [w, h] = [Math.max(1, Math.round(width / scale)), Math.max(1, Math.round(height / scale))];
  const out = Buffer.alloc(w * h * 3);
  for (let ty = 0; ty < h; ty++) {
    for (let tx = 0; tx < w; tx++) {
      const [x0, x1] = [Math.floor((tx * width) / w), Math.floor(((tx + 1) * width) / w)];
      const [y0, y1] = [Math.floor((ty * height) / h), Math.floor(((ty + 1) * height) / h)];
      const sum = [0, 0, 0];
      for (let y = y0; y < y1; y++) {
        for (let x = x0; x < x1; x++) {
          const p = (y * width + x) * channels;
          const alpha = channels === 4 || channels === 2 ? pixels[p + channels - 1] / 255 : 1;
          for (let c = 0; c < 3; c++)
            sum[c] += pixels[p + (channels >= 3 ? c : 0)] * alpha + 255 * (1 - alpha);
        }
      }
      const n = (x1 - x0) * (y1 - y0);
      for (let c = 0; c < 3; c++) out[(ty * w + tx) * 3 + c] = Math.round(sum[c] / n);
    }
  }
  return { width: w, height: h, ppm: Buffer.concat([Buffer.from(`P6\n${w} ${h}\n255\n`, "latin1"), out]) };
}

async function thumbnail(path) {
  const image = await deps.viewer.decode(path);
  const { width, height, ppm } = shrink(image, size);
  const output = `${outDir}/${basename(path, extname(path))}.ppm`;
  await deps.files.write(output, ppm);
  const entry = { source: path, output, width, height, bytes: ppm.length };
  made.push(entry);
  return entry;
}

export const module = defineModule({
  init(ctx) {
    size = ctx.config.size;
    outDir = ctx.config.outDir;
    made = [];
    deps = { viewer: ctx.use("image-viewer"), files: ctx.use("file-io"), bus: ctx.use("event-bus") };
  },
  async start(ctx) {
    const pending = await deps.bus.since("media.imported", lastSeq);
    for (const event of pending) {
      lastSeq = event.seq;
      if (/\.png$/i.test(event.data?.path ?? "")) await thumbnail(event.data.path);
    }
    ctx.log.info({ made: made.length }, "caught up with imports");
  },
  api: {
    make: thumbnail,
    list() {
      return made.slice();
    },
  },
});
