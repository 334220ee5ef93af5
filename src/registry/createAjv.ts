import { createRequire } from "node:module";
import type { Ajv, Options } from "ajv";

const require = createRequire(import.meta.url);
let AjvClass: typeof Ajv | undefined;

/**
 * A new ajv instance, loading ajv on first use: importing and compiling schemas costs hundreds
 * of milliseconds on a slow machine, and a start-up that finds every module unchanged (or a CLI
 * query) needs no validation at all.
 */
export function createAjv(options: Options): Ajv {
  AjvClass ??= (require("ajv") as { Ajv: typeof Ajv }).Ajv;
  return new AjvClass(options);
}
