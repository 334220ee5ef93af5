// file-io: every file another module touches goes through here. Paths are "<volume>/<relative>",
// e.g. "media/clip.cvf"; each volume maps to an absolute directory given by config (chipset does
// not resolve relative paths in module config, so a relative root is refused at init).
import { mkdir, readdir, readFile, stat, writeFile } from "node:fs/promises";
import { dirname, isAbsolute, relative, resolve, sep } from "node:path";
import { defineModule } from "chipset/module";

let volumes = new Map();
let readOnly = new Set();
let maxReadBytes = 0;
let totals = { reads: 0, writes: 0, bytesRead: 0, bytesWritten: 0 };

/** Maps "volume/rel/path" to an absolute path inside that volume, refusing escapes. */
function locate(path, forWriting = false) {
  const [volume, ...rest] = String(path).split("/");
  const root = volumes.get(volume);
  if (root === undefined)
    throw new Error(`unknown volume "${volume}" in "${path}"; volumes: ${[...volumes.keys()].join(", ")}`);
  if (forWriting && readOnly.has(volume))
    throw new Error(`volume "${volume}" is read-only; cannot write "${path}"`);
  const full = resolve(root, ...rest);
  const inside = relative(root, full);
  if (inside.startsWith("..") || isAbsolute(inside) || inside.split(sep).includes("..")) {
    throw new Error(`"${path}" leaves volume "${volume}"`);
  }
  return full;
}

export const module = defineModule({
  async init(ctx) {
    volumes = new Map();
    readOnly = new Set(ctx.config.readOnly);
    maxReadBytes = ctx.config.maxReadBytes;
    totals = { reads: 0, writes: 0, bytesRead: 0, bytesWritten: 0 };
    for (const [name, configured] of Object.entries(ctx.config.volumes)) {
      // Relative volumes start where the configuration came from (the config file's folder).
      const root = resolve(ctx.baseDir, configured);
      if (readOnly.has(name)) {
        const info = await stat(root);
        if (!info.isDirectory()) throw new Error(`volume "${name}" (${root}) is not a directory`);
      } else {
        await mkdir(root, { recursive: true });
      }
      volumes.set(name, root);
    }
    ctx.log.info({ volumes: Object.fromEntries(volumes) }, "volumes ready");
  },
  stop(ctx) {
    ctx.log.info(totals, "file-io totals");
  },
  api: {
    /** Bytes of a file, or of `length` bytes from `offset`. */
    async read(path, { offset = 0, length } = {}) {
      const full = locate(path);
      const data = await readFile(full);
      const end = length === undefined ? data.length : Math.min(data.length, offset + length);
      if (end - offset > maxReadBytes)
        throw new Error(`"${path}" is ${end - offset} bytes; the limit is ${maxReadBytes}`);
      totals.reads++;
      totals.bytesRead += end - offset;
      return new Uint8Array(data.buffer, data.byteOffset + offset, end - offset);
    },
    async write(path, bytes) {
      const full = locate(path, true);
      await mkdir(dirname(full), { recursive: true });
      await writeFile(full, bytes);
      totals.writes++;
      totals.bytesWritten += bytes.length;
      return { path, bytes: bytes.length };
    },
    async stat(path) {
      const info = await stat(locate(path));
      return { path, size: info.size, isFile: info.isFile(), modifiedAt: info.mtime.toISOString() };
    },
    async list(path) {
      const entries = await readdir(locate(path), { withFileTypes: true });
      return entries
        .filter((e) => e.isFile())
        .map((e) => `${path}/${e.name}`)
        .sort();
    },
    stats() {
      return { ...totals };
    },
  },
});
