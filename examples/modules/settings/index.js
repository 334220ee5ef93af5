// settings: starts from the validated config (schema defaults filled in by chipset) and lets
// modules read and change preferences at run time; every change is published as "settings.changed".
import { defineModule } from "chipset/module";

// What set() accepts for each key (mirrors configSchema in package.json).
const RULES = {
  theme: (v) => ["light", "dark", "system"].includes(v) || 'one of "light", "dark", "system"',
  language: (v) =>
    (typeof v === "string" && /^[a-z]{2}(-[A-Z]{2})?$/.test(v)) || 'a language tag such as "en" or "zh-CN"',
  bufferMs: (v) => (Number.isInteger(v) && v >= 0 && v <= 10000) || "an integer from 0 to 10000",
  volume: (v) => (Number.isInteger(v) && v >= 0 && v <= 100) || "an integer from 0 to 100",
};

let values = {};
let bus;

export const module = defineModule({
  init(ctx) {
    values = { ...ctx.config };
    bus = ctx.use("event-bus");
  },
  api: {
    get(key) {
      if (!Object.hasOwn(RULES, key))
        throw new Error(`unknown setting "${key}"; known: ${Object.keys(RULES).join(", ")}`);
      return values[key];
    },
    all() {
      return { ...values };
    },
    async set(key, value) {
      const ok = Object.hasOwn(RULES, key) ? RULES[key](value) : `one of ${Object.keys(RULES).join(", ")}`;
      if (ok !== true) throw new Error(`setting "${key}" must be ${ok}; got ${JSON.stringify(value)}`);
      const from = values[key];
      values[key] = value;
      await bus.publish("settings.changed", { key, from, to: value });
      return { key, from, to: value };
    },
  },
});
