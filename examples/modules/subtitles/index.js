// subtitles: a SubRip parser. Parsed files are cached until the module stops.
import { TextDecoder } from "node:util";
import { defineModule } from "chipset/module";

const TIME = /(\d\d):(\d\d):(\d\d),(\d{3})/;
let files;
const cache = new Map();

function ms(text) {
  const [, h, m, s, milli] = TIME.exec(text) ?? [];
  if (h === undefined) throw new Error(`bad SRT timestamp "${text}"`);
  return ((Number(h) * 60 + Number(m)) * 60 + Number(s)) * 1000 + Number(milli);
}

async function parse(path) {
  let cues = cache.get(path);
  if (cues) return cues;
  const text = new TextDecoder().decode(await files.read(path));
  cues = text
    .replace(/\r/g, "")
    .split(/\n\n+/)
    .filter((block) => block.trim() !== "")
    .map((block) => {
      const [index, times, ...lines] = block.split("\n");
      const [from, to] = times.split("-->");
      return { index: Number(index), fromMs: ms(from), toMs: ms(to), text: lines.join("\n") };
    });
  cache.set(path, cues);
  return cues;
}

export const module = defineModule({
  init(ctx) {
    files = ctx.use("file-io");
    ctx.onStop(() => cache.clear());
  },
  api: {
    parse,
    async cueAt(path, atMs) {
      return (await parse(path)).find((c) => c.fromMs <= atMs && atMs < c.toMs) ?? null;
    },
  },
});
