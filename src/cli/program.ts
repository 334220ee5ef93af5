import { Command, Option } from "commander";
import { registerCallCommand } from "./commands/callCommand.js";
import { registerBisectCommand } from "./commands/bisectCommand.js";
import { registerChaosCommand } from "./commands/chaosCommand.js";
import { registerControlCommands } from "./commands/controlCommands.js";
import { registerErrorsCommand } from "./commands/errorsCommand.js";
import { registerDepsCommand } from "./commands/depsCommand.js";
import { registerEnvCommand } from "./commands/envCommand.js";
import { registerQueryCommands } from "./commands/queryCommands.js";
import { registerWhyCommand } from "./commands/whyCommand.js";
import { registerOutdatedCommand } from "./commands/outdatedCommand.js";
import { registerDoctorCommand } from "./commands/doctorCommand.js";
import { registerRegistryCommands } from "./commands/registryCommands.js";
import { registerStartCommand } from "./commands/startCommand.js";
import { registerServiceCommand } from "./commands/serviceCommand.js";
import { registerLogsCommand } from "./commands/logsCommand.js";
import { registerShutdownCommand } from "./commands/shutdownCommand.js";
import { registerUpdateCommands } from "./commands/updateCommands.js";
import { registerTriggersCommand } from "./commands/triggersCommand.js";
import { registerReportCommand } from "./commands/reportCommand.js";
import { registerTopCommand } from "./commands/topCommand.js";
import { registerReplicasCommand, registerScaleCommand } from "./commands/scaleCommand.js";
import { registerDashboardCommand } from "./commands/dashboardCommand.js";
import { registerEngineCommands } from "./commands/engineCommands.js";
import { logFormats, logLevels } from "./choices.js";
import {
  DEFAULT_CONFIG_FILE,
  DEFAULT_DATA_DIR,
  DEFAULT_LOG_FORMAT,
  DEFAULT_LOG_LEVEL,
  type CliContext,
} from "./context.js";

/**
 * The `chipset` command line: global options and every command. Commander never exits the
 * process nor prints its own errors here (`exitOverride`): its errors are thrown, and `runCli`
 * reports them as `CHIP_ERR_CLI_USAGE`. Help and version go to `ctx.out`'s stdout.
 */
export function buildProgram(ctx: CliContext, version: string): Command {
  const program = new Command("chipset")
    .description("Chipset: a runtime manager for Node.js modules")
    .version(version, "-V, --version")
    .option(
      "--data-dir <dir>",
      `data directory: database and installed modules (default: ./${DEFAULT_DATA_DIR})`,
    )
    .option("--config <file>", `config file (default: ./${DEFAULT_CONFIG_FILE} if it exists)`)
    .option(
      "--host <url>",
      "talk to the host at this URL (http://HOST:PORT) instead of the one <data-dir>/host.json names; its token comes from --token-file or $CHIPSET_TOKEN",
    )
    .option(
      "--token-file <file>",
      "the host API's bearer token, in this file: the one `start` serves with, or the one sent to --host",
    )
    .option(
      "--offline",
      "do not talk to a running host: open the data directory in this process (as with no host)",
    )
    .addOption(
      new Option(
        "--log-level <level>",
        `log lines of chipset and of the modules (ctx.log, and the console of worker and process modules) shown on stderr (default: ${DEFAULT_LOG_LEVEL})`,
      ).choices(logLevels),
    )
    .addOption(
      new Option(
        "--log-format <format>",
        `log lines as text for people, or as pino's JSON lines (default: ${DEFAULT_LOG_FORMAT})`,
      ).choices(logFormats),
    )
    .addHelpText(
      "after",
      `\nErrors print CHIP_ERR_...: message on stderr;\nexit status 1 for errors, 2 for usage errors, 3 when a chaos hypothesis did not hold.`,
    )
    .exitOverride()
    .configureOutput({
      writeOut: (text) => ctx.out.raw(text),
      writeErr: (text) => ctx.out.rawError(text),
      outputError: () => undefined,
    })
    .showSuggestionAfterError(true);
  program.hook("preAction", (_program, action) => {
    ctx.json = action.opts<{ json?: boolean }>().json === true;
  });
  registerRegistryCommands(program, ctx);
  registerQueryCommands(program, ctx);
  registerWhyCommand(program, ctx);
  registerOutdatedCommand(program, ctx);
  registerDepsCommand(program, ctx);
  registerCallCommand(program, ctx);
  registerStartCommand(program, ctx);
  registerServiceCommand(program, ctx);
  registerShutdownCommand(program, ctx);
  registerLogsCommand(program, ctx);
  registerControlCommands(program, ctx);
  registerUpdateCommands(program, ctx);
  registerErrorsCommand(program, ctx);
  registerChaosCommand(program, ctx);
  registerBisectCommand(program, ctx);
  registerDoctorCommand(program, ctx);
  registerEnvCommand(program, ctx);
  registerTriggersCommand(program, ctx);
  registerReportCommand(program, ctx);
  registerTopCommand(program, ctx);
  registerScaleCommand(program, ctx);
  registerReplicasCommand(program, ctx);
  registerEngineCommands(program, ctx);
  registerDashboardCommand(program, ctx);
  return program;
}
