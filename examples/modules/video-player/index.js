// video-player: one open file at a time. "Playing" decodes the whole clip through the codec as
// fast as it can (no real-time pacing in a demo) and reports what a screen would have shown.
import { defineModule } from "chipset/module";

let deps;
let session = null;

export const module = defineModule({
  init(ctx) {
    deps = {
      files: ctx.use("file-io"),
      codec: ctx.use("codec"),
      settings: ctx.use("settings"),
      bus: ctx.use("event-bus"),
    };
  },
  start(ctx) {
    // An open file belongs to this run of the module: forget it when the module stops.
    ctx.onStop(() => {
      if (session) ctx.log.info({ path: session.path }, "closing open file");
      session = null;
    });
  },
  api: {
    async open(path) {
      const [file, header, bufferMs] = await Promise.all([
        deps.files.stat(path),
        deps.codec.probe(path),
        deps.settings.get("bufferMs"),
      ]);
      session = { path, header, state: "ready", position: 0 };
      return {
        path,
        sizeBytes: file.size,
        ...header,
        bufferFrames: Math.ceil((bufferMs * header.fps) / 1000),
      };
    },
    async play() {
      if (!session) throw new Error("nothing is open; call open(path) first");
      session.state = "playing";
      const [decoded, volume] = await Promise.all([
        deps.codec.decode(session.path),
        deps.settings.get("volume"),
      ]);
      session.position = decoded.frames;
      session.state = "ended";
      await deps.bus.publish("playback.finished", { path: session.path, frames: decoded.frames });
      return { ...decoded, volume, playedMs: session.header.durationMs };
    },
    status() {
      if (!session) return { state: "idle" };
      return {
        state: session.state,
        path: session.path,
        title: session.header.title,
        position: session.position,
        frames: session.header.frames,
      };
    },
  },
});
