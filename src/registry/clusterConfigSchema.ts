/** A file path in the config file's `cluster` section, relative to the config file. */
const file = (what: string) =>
  ({ type: "string", minLength: 1, expected: `${what}: a file path, relative to the config file` }) as const;

/**
 * The config file's `cluster` section: how `chipset start --cluster` authenticates to NATS. Secrets
 * are files, never values in the config or on the command line (see docs/cluster.md).
 */
export const clusterConfigSchema = {
  type: "object",
  additionalProperties: false,
  expected:
    'an object such as { "user": "chipset", "passwordFile": "./nats-password", "tls": { "caFile": "./ca.pem" } }',
  properties: {
    user: { type: "string", minLength: 1, expected: "a NATS user name (its password goes in passwordFile)" },
    passwordFile: file("the file holding the NATS user's password"),
    nkeySeedFile: file("the file holding an nkey seed (SU...)"),
    tls: {
      type: "object",
      additionalProperties: false,
      expected:
        'an object such as { "caFile": "./ca.pem", "certFile": "./node.pem", "keyFile": "./node-key.pem" }',
      properties: {
        caFile: file("the CA certificate (PEM) the server's certificate is checked against"),
        certFile: file("this node's certificate (PEM)"),
        keyFile: file("this node's private key (PEM)"),
      },
    },
  },
} as const;
