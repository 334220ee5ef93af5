import type { Command } from "commander";
import { ChipsetError, ErrorCodes } from "../../errors/index.js";
import type { CliContext } from "../context.js";
import { globalsOf } from "../commands/globals.js";
import { requireHost } from "../hostTarget.js";
import { httpText } from "../httpText.js";

/**
 * `chipset dashboard`: checks that the running host serves its dashboard, then prints the address
 * (with `#token=` unless `--no-token`). `CHIP_ERR_DASHBOARD_MISSING` when the host has none (a
 * checkout not built), `CHIP_ERR_HOST_NOT_RUNNING` when no host serves the data directory.
 */
export async function dashboard(
  ctx: CliContext,
  opts: { token: boolean; json?: boolean },
  cmd: Command,
): Promise<void> {
  const { url, token } = requireHost(globalsOf(cmd, ctx), "dashboard").target;
  const page = `${url}/`;
  let status: number;
  try {
    ({ status } = await httpText(page, { method: "GET", headers: {}, signal: AbortSignal.timeout(10_000) }));
  } catch (err) {
    throw new ChipsetError(
      ErrorCodes.HOST_UNREACHABLE,
      `the host at ${url} does not answer: ${(err as Error).message}; is it still running (\`chipset start\`)?`,
      { cause: err, details: { url } },
    );
  }
  if (status !== 200)
    throw new ChipsetError(
      ErrorCodes.DASHBOARD_MISSING,
      `the host at ${url} serves no dashboard (GET / answered ${status}); build it with \`npm run build\` and start the host again`,
      { details: { url, status } },
    );
  const signedIn = opts.token && token !== undefined ? `${page}#token=${encodeURIComponent(token)}` : null;
  if (opts.json) return ctx.out.json({ url: page, signedIn });
  ctx.out.line(signedIn ?? page);
  if (signedIn !== null)
    ctx.out.note("the address holds the host's token: open it in your own browser, do not share it");
  else ctx.out.note("the page asks for the token: it is in <data-dir>/host.json");
}
