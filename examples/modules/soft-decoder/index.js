// soft-decoder: the same api as gpu-accel, done plainly in software. gpu-accel names it as its
// fallback: while gpu-accel is down, calls to it come here.
import { defineModule } from "chipset/module";

let decoded = 0;

export const module = defineModule({
  api: {
    device() {
      return { name: "software", simulated: false, poolFrames: 0, framesDecoded: decoded };
    },
    /** Decodes an RLE8 payload (count, value pairs) into `size` bytes. */
    decodeRle8(payload, size) {
      const frame = new Uint8Array(size);
      let at = 0;
      for (let i = 0; i + 1 < payload.length; i += 2) {
        frame.fill(payload[i + 1], at, at + payload[i]);
        at += payload[i];
      }
      if (at !== size) throw new Error(`RLE8 payload decodes to ${at} bytes, expected ${size}`);
      decoded++;
      return frame;
    },
  },
});
