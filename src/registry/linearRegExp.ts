import { createRequire } from "node:module";
import type { CodeOptions } from "ajv";
import type { RE2JS } from "re2js";

type RegExpEngine = NonNullable<CodeOptions["regExp"]>;
type RegExpLike = ReturnType<RegExpEngine>;

const require = createRequire(import.meta.url);
let Engine: typeof RE2JS | undefined;

/**
 * The regex engine for schemas that come from module authors (ajv's `code.regExp` option):
 * RE2JS, a pure-JS port of RE2 whose matching time is linear in the input's length, so a pattern
 * such as `^(a+)+$` cannot block the runtime on a crafted value (V8's backtracking engine takes
 * hours on 40 characters). `pattern` is ECMAScript syntax, translated to RE2's; `u` is ignored
 * (RE2 always matches code points). Throws an Error naming the pattern for what RE2 cannot run in
 * linear time (backreferences, lookahead and lookbehind) or cannot parse. Loaded on first use.
 */
export const linearRegExp: RegExpEngine = Object.assign(
  (pattern: string, _u: string): RegExpLike => {
    Engine ??= (require("re2js") as { RE2JS: typeof RE2JS }).RE2JS;
    let compiled: RE2JS;
    try {
      compiled = Engine.compile(Engine.translateRegExp(pattern));
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      throw new Error(
        `pattern ${JSON.stringify(pattern)} cannot be used (${why}): patterns run on a linear-time ` +
          "engine, which has no backreferences (\\1), lookahead ((?=, (?!) or lookbehind ((?<=, (?<!)",
      );
    }
    // ajv keys its compiled patterns by toString(): two patterns must never share a key.
    const source = `/${pattern}/`;
    const like: RegExpLike & { toString(): string } = {
      test: (s: string) => compiled.test(s),
      toString: () => source,
    };
    return like;
  },
  // Only read by ajv's standalone code generation, which Chipset does not use.
  { code: 'require("re2js").RE2JS' },
);
