import fs from "node:fs";
import path from "node:path";

/**
 * The files and environment variables detection looks at: paths under an injected root
 * (default `/`, tests pass a fixture tree of `/proc` and `/sys` files) and an injected
 * environment (default `process.env`). Reading never throws: a file that cannot be read is absent.
 */
export class SystemFiles {
  constructor(
    /** The directory that stands for `/`. */
    readonly root: string = "/",
    private readonly env: Readonly<Record<string, string | undefined>> = process.env,
  ) {}

  /** The text of `file` (an absolute path such as `/proc/cpuinfo`), or undefined when it cannot be read. */
  text(file: string): string | undefined {
    try {
      return fs.readFileSync(this.at(file), "utf8");
    } catch {
      return undefined;
    }
  }

  /** The first line of `file`, trimmed; undefined when it cannot be read or is empty. */
  line(file: string): string | undefined {
    const first = this.text(file)?.split("\n")[0]?.trim();
    return first === "" ? undefined : first;
  }

  /** Whether `file` exists (a file or a directory). */
  exists(file: string): boolean {
    return fs.existsSync(this.at(file));
  }

  /** The value of the environment variable `name`; undefined when unset or empty. */
  variable(name: string): string | undefined {
    const value = this.env[name];
    return value === undefined || value === "" ? undefined : value;
  }

  /** The real path of `file` under the root. */
  at(file: string): string {
    return path.join(this.root, file);
  }
}

/** `text` cut to at most `max` characters, for evidence (a value may be long). */
export function shorten(text: string, max = 80): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length <= max ? flat : `${flat.slice(0, max - 1)}…`;
}
