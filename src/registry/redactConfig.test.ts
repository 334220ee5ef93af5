import { describe, expect, it } from "vitest";
import { REDACTED, redactConfig } from "./redactConfig.js";

describe("redactConfig", () => {
  it("hides what the schema marks writeOnly at any depth and keeps the rest as it is", () => {
    const schema = {
      type: "object",
      properties: {
        url: { type: "string" },
        db: {
          type: "object",
          properties: { host: { type: "string" }, dsn: { type: "string", writeOnly: true } },
        },
        peers: {
          type: "array",
          items: { type: "object", properties: { name: { type: "string" }, key: { writeOnly: true } } },
        },
        vault: { type: "object", additionalProperties: { type: "string", writeOnly: true } },
      },
    };
    const config = {
      url: "http://x",
      db: { host: "db.local", dsn: "postgres://u:p@db" },
      peers: [{ name: "a", key: "k1" }, { name: "b" }],
      vault: { one: "s1", two: "s2" },
    };
    const shown = redactConfig(schema, config);
    expect(shown.config).toEqual({
      url: "http://x",
      db: { host: "db.local", dsn: REDACTED },
      peers: [{ name: "a", key: REDACTED }, { name: "b" }],
      vault: { one: REDACTED, two: REDACTED },
    });
    expect(shown.redacted).toEqual(["/db/dsn", "/peers/0/key", "/vault/one", "/vault/two"]);
    expect(config.db.dsn).toBe("postgres://u:p@db"); // the original is untouched
  });

  it("hides keys named like secrets even when there is no schema", () => {
    const config = {
      apiKey: "a",
      api_key: "b",
      "API-KEY": "c",
      db: { password: "p", passwd: "q", user: "u" },
      clientSecret: "s",
      accessToken: "t",
      credentials: { user: "x", pass: "y" },
      privateKey: "-----BEGIN",
      timeoutMs: 5,
    };
    const shown = redactConfig(undefined, config);
    expect(shown.config).toEqual({
      apiKey: REDACTED,
      api_key: REDACTED,
      "API-KEY": REDACTED,
      db: { password: REDACTED, passwd: REDACTED, user: "u" },
      clientSecret: REDACTED,
      accessToken: REDACTED,
      credentials: REDACTED,
      privateKey: REDACTED,
      timeoutMs: 5,
    });
    expect(shown.redacted).toHaveLength(9);
  });

  it("hides the other common names of secrets, and not names that merely contain 'key'", () => {
    const secrets = {
      passphrase: "a",
      pwd: "b",
      authorization: "c",
      bearer: "d",
      dsn: "e",
      cookie: "f",
      sessionId: "g",
      signingKey: "h",
      accessKey: "i",
      encryption_key: "j",
      connectionString: "k",
      connection_string: "l",
      basicAuth: "m",
    };
    const plain = { keyboardLayout: "fr", key: "name", primaryKey: "id", host: "db", sortKeys: true };
    const shown = redactConfig(undefined, { ...secrets, ...plain });
    expect(shown.config).toEqual({
      ...Object.fromEntries(Object.keys(secrets).map((k) => [k, REDACTED])),
      ...plain,
    });
    expect(shown.redacted).toHaveLength(Object.keys(secrets).length);
  });

  it("hides the password of a URL with credentials wherever it is, keeping the rest of the URL", () => {
    const config = {
      db: "postgres://admin:S3cret@db/prod",
      mirrors: ["https://u:p@w0rd@mirror.example/path?q=1", "https://mirror.example/"],
      ssh: "ssh://git@github.com/org/repo",
      note: "see postgres://admin:S3cret@db/prod", // not a URL: prose that mentions one
    };
    const shown = redactConfig(undefined, config);
    expect(shown.config).toEqual({
      db: "postgres://admin:[redacted]@db/prod",
      mirrors: ["https://u:[redacted]@mirror.example/path?q=1", "https://mirror.example/"],
      ssh: "ssh://git@github.com/org/repo",
      note: "see postgres://admin:S3cret@db/prod",
    });
    expect(shown.redacted).toEqual(["/db", "/mirrors/0"]);
  });

  it("follows tuples, patternProperties, allOf/anyOf/oneOf and local $refs to writeOnly fields", () => {
    const schema = {
      type: "object",
      $defs: { login: { type: "object", properties: { pin: { writeOnly: true } } } },
      properties: {
        pair: { type: "array", items: [{ type: "string" }, { writeOnly: true }] },
        list: { type: "array", prefixItems: [{ type: "string" }], items: { writeOnly: true } },
        byHost: { type: "object", patternProperties: { "^h-": { writeOnly: true } } },
        mixed: {
          allOf: [{ properties: { a: { writeOnly: true } } }],
          anyOf: [{ properties: { b: { writeOnly: true } } }],
        },
        login: { $ref: "#/$defs/login" },
      },
    };
    const shown = redactConfig(schema, {
      pair: ["visible", "hidden"],
      list: ["visible", "hidden", "hidden"],
      byHost: { "h-1": "hidden", other: "visible" },
      mixed: { a: 1, b: 2, c: 3 },
      login: { pin: 1234, user: "me" },
    });
    expect(shown.config).toEqual({
      pair: ["visible", REDACTED],
      list: ["visible", REDACTED, REDACTED],
      byHost: { "h-1": REDACTED, other: "visible" },
      mixed: { a: REDACTED, b: REDACTED, c: 3 },
      login: { pin: REDACTED, user: "me" },
    });
  });

  it("survives a schema that refers to itself, and escapes keys in pointers", () => {
    const schema = {
      type: "object",
      properties: { child: { $ref: "#" }, "a/b~c": { writeOnly: true } },
    };
    const shown = redactConfig(schema, { child: { child: { "a/b~c": 1 } } });
    expect(shown.config).toEqual({ child: { child: { "a/b~c": REDACTED } } });
    expect(shown.redacted).toEqual(["/child/child/a~1b~0c"]);
  });

  it("keeps a key named __proto__ a plain key of the copy", () => {
    const config = JSON.parse('{"__proto__": {"token": "t"}, "x": 1}') as Record<string, unknown>;
    const shown = redactConfig(undefined, config).config as Record<string, unknown>;
    expect(Object.getPrototypeOf(shown)).toBe(Object.prototype);
    expect(Object.hasOwn(shown, "__proto__")).toBe(true);
    expect(JSON.stringify(shown)).toBe('{"__proto__":{"token":"[redacted]"},"x":1}');
  });
});
