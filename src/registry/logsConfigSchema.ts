/** The config file's `logs` section: how the running host rotates and filters its log files (see `LogsConfig`). */
export const logsConfigSchema = {
  type: "object",
  additionalProperties: false,
  expected: 'an object such as { "maxFileBytes": 10485760, "keepFiles": 5, "level": "info" }',
  properties: {
    maxFileBytes: {
      type: "integer",
      minimum: 1024,
      maximum: 1_073_741_824,
      expected: "the size of a log file before it is rotated: an integer number of bytes from 1024 to 1 GiB",
    },
    keepFiles: {
      type: "integer",
      minimum: 0,
      maximum: 100,
      expected: "how many rotated log files are kept: an integer from 0 to 100",
    },
    level: {
      enum: ["fatal", "error", "warn", "info", "debug", "trace"],
      expected:
        'the least severe level kept in the log files: "fatal", "error", "warn", "info", "debug" or "trace"',
    },
  },
} as const;
