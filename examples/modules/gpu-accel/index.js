// gpu-accel: an optional accelerator. There is no real GPU here; it stands in for one by decoding
// RLE8 runs with TypedArray.fill into a pool of frame buffers reserved at init. Like a native
// driver, it has a bug: a zero-length run of value 0xEE (found in media/damaged.cvf) makes its
// completion callback throw, which nobody can catch. It runs in its own process (see its
// manifest), so that takes down only this module; soft-decoder answers while it restarts.
import { defineModule } from "chipset/module";

let device = "";
let pool = [];
let next = 0;
let decoded = 0;

export const module = defineModule({
  init(ctx) {
    device = ctx.config.device;
    pool = Array.from({ length: ctx.config.poolFrames }, () => new Uint8Array(0));
    next = 0;
    decoded = 0;
    // Like a native driver, it prints a banner on its console; the host tags the line with the module.
    console.log(`${device}: ${pool.length} frame buffers reserved`);
  },
  stop(ctx) {
    ctx.log.info({ decoded }, "accelerator released");
    pool = [];
  },
  api: {
    device() {
      return { name: device, simulated: true, poolFrames: pool.length, framesDecoded: decoded };
    },
    /** Decodes an RLE8 payload (count, value pairs) into `size` bytes. */
    decodeRle8(payload, size) {
      const slot = next++ % pool.length;
      if (pool[slot].length !== size) pool[slot] = new Uint8Array(size);
      const frame = pool[slot];
      let at = 0;
      for (let i = 0; i + 1 < payload.length; i += 2) {
        if (payload[i] === 0 && payload[i + 1] === 0xee) {
          setImmediate(() => {
            throw new Error(`driver fault: unknown run command 0xEE after ${decoded} frames`);
          });
          return new Promise(() => {}); // the completion never comes
        }
        frame.fill(payload[i + 1], at, at + payload[i]);
        at += payload[i];
      }
      if (at !== size) throw new Error(`RLE8 payload decodes to ${at} bytes, expected ${size}`);
      decoded++;
      return frame.slice();
    },
  },
});
