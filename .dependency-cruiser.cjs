// The layers of docs/architecture.md, checked on every `npm run lint` (`npm run deps` alone).
// Imports point down the layers; concept folders do not import each other; a folder's
// subfolders are its internals; nothing imports in a circle. Tests are exempt from the layers
// (a test may reach into what it tests) but not from the rule against circles.
const bottom = "(vocabulary|common|errors)";
const concepts =
  "(registry|resolver|lifecycle|hosts|supervision|policies|monitoring|updates|triggers|resources|dispatch|scaling|environment)";
const above = (...folders) => `^src/(${folders.join("|")})/`;
const notTest = "\\.test\\.ts$";

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: "no-circular",
      severity: "error",
      comment:
        "An import circle: one of its files must stop importing the other (move the shared part down).",
      from: {},
      to: { circular: true },
    },
    {
      name: "bottom-imports-nothing-above",
      severity: "error",
      comment:
        "vocabulary/, common/, errors/ and the module SDK are the bottom layer: they import nothing above it.",
      from: { path: [`^src/${bottom}/`, "^src/module\\.ts$"], pathNot: notTest },
      to: { path: "^src/", pathNot: [`^src/${bottom}/`, "^src/module\\.ts$"] },
    },
    {
      name: "store-below-concepts",
      severity: "error",
      comment: "store/ (persistence) sits below the concept folders.",
      from: { path: "^src/store/", pathNot: notTest },
      to: { path: "^src/", pathNot: [`^src/${bottom}/`, "^src/store/", "^src/module\\.ts$"] },
    },
    {
      name: "concepts-independent",
      severity: "error",
      comment:
        "A concept folder imports only the layers below it, never another concept folder: share a type through vocabulary/, or let runtime/ wire the two.",
      from: { path: `^src/${concepts}/`, pathNot: notTest },
      to: { path: "^src/", pathNot: [`^src/${bottom}/`, "^src/store/", "^src/module\\.ts$", "^src/$1/"] },
    },
    {
      name: "instances-below-runtime",
      severity: "error",
      comment: "instances/ (the instance table) sits below runtime/ and the tools.",
      from: { path: "^src/instances/", pathNot: notTest },
      to: {
        path: [above("runtime", "cluster", "chaos", "server", "cli"), "^src/index\\.ts$", "^src/chaos\\.ts$"],
      },
    },
    {
      name: "runtime-below-tools",
      severity: "error",
      comment: "runtime/ is the facade; cluster/, the tools (chaos, server, cli) and the entry points sit above it.",
      from: { path: "^src/runtime/", pathNot: notTest },
      to: { path: [above("cluster", "chaos", "server", "cli"), "^src/index\\.ts$", "^src/chaos\\.ts$"] },
    },
    {
      name: "cluster-below-tools",
      severity: "error",
      comment:
        "cluster/ (hosts joined over NATS) sits on the runtime; the server and the CLI use it, and only the chipset/cluster entry exports it, so the main entry never loads NATS.",
      from: { path: "^src/cluster/", pathNot: notTest },
      to: { path: [above("chaos", "server", "cli"), "^src/(index|chaos|server)\\.ts$"] },
    },
    {
      name: "chaos-below-cli",
      severity: "error",
      comment: "chaos/ is a tool the CLI drives, not the other way round.",
      from: { path: "^src/chaos/", pathNot: notTest },
      to: { path: [above("cli"), "^src/index\\.ts$"] },
    },
    {
      name: "server-below-cli",
      severity: "error",
      comment:
        "server/ (the host's HTTP API) serves a runtime; the CLI starts it, and chaos has no use for it.",
      from: { path: "^src/server/", pathNot: notTest },
      to: { path: [above("cli", "chaos"), "^src/index\\.ts$", "^src/chaos\\.ts$"] },
    },
    {
      name: "chaos-not-server",
      severity: "error",
      comment: "chaos/ and server/ are tools side by side: neither imports the other.",
      from: { path: "^src/chaos/", pathNot: notTest },
      to: { path: above("server") },
    },
    {
      name: "no-internals",
      severity: "error",
      comment: "A folder's subfolders are its internals: import the folder's own top-level files instead.",
      from: { path: "^src/([^/]+)/", pathNot: notTest },
      to: { path: "^src/[^/]+/[^/]+/", pathNot: "^src/$1/" },
    },
    {
      name: "no-internals-from-entries",
      severity: "error",
      comment:
        "The entry points export what a user needs from each folder's top level, never a subfolder's internals.",
      from: { path: "^src/[^/]+\\.ts$", pathNot: notTest },
      to: { path: "^src/[^/]+/[^/]+/" },
    },
    {
      name: "cli-definitions-light",
      severity: "error",
      comment:
        "The CLI's program and command definitions load for every command, --help included: they import an action, the runtime or the server only with import() when the command runs (see src/cli/actions/).",
      from: {
        path: ["^src/cli/(main|runCli|program|choices)\\.ts$", "^src/cli/commands/"],
        pathNot: notTest,
      },
      to: {
        path: [
          "^src/cli/actions/",
          "^src/(runtime|store|registry|resolver|lifecycle|hosts|instances|chaos|cluster|environment|monitoring|resources)/",
          "^src/server/(?!listenAddress)",
        ],
        dependencyTypesNot: ["dynamic-import", "type-only"],
      },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "(^|/)node_modules/|\\.d\\.ts$" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: {
      exportsFields: ["exports"],
      conditionNames: ["import", "require", "node", "default", "types"],
      extensions: [".ts", ".js", ".mjs", ".cjs", ".json"],
    },
  },
};
