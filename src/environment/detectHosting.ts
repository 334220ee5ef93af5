import type { Evidence, Verdict } from "./EnvironmentReport.js";
import { shorten, type SystemFiles } from "./SystemFiles.js";

/**
 * Environment variables that name a platform, in the order they are checked: the first whose
 * variable is set (and, where given, matches) wins. Only names the platforms document as set in
 * every function or job.
 */
type Sign = readonly [variable: string, value: string, match?: RegExp];

/** Serverless platforms: AWS Lambda, Azure Functions, Cloud Run (and Knative), Cloud Functions, Vercel, Netlify. */
const SERVERLESS: readonly Sign[] = [
  ["AWS_LAMBDA_FUNCTION_NAME", "aws-lambda"],
  ["FUNCTIONS_WORKER_RUNTIME", "azure-functions"],
  ["FUNCTION_TARGET", "google-cloud-functions"],
  ["K_SERVICE", "google-cloud-run"],
  ["CLOUD_RUN_JOB", "google-cloud-run"],
  ["VERCEL", "vercel"],
  ["NETLIFY", "netlify", /^true$/i],
];

/** CI services; `CI` alone (set by most of them, and by hand) last, unless it says false. */
const CI: readonly Sign[] = [
  ["GITHUB_ACTIONS", "github-actions", /^true$/i],
  ["GITLAB_CI", "gitlab-ci"],
  ["CIRCLECI", "circleci"],
  ["BUILDKITE", "buildkite"],
  ["TF_BUILD", "azure-pipelines"],
  ["JENKINS_URL", "jenkins"],
  ["TRAVIS", "travis"],
  ["BITBUCKET_BUILD_NUMBER", "bitbucket-pipelines"],
  ["TEAMCITY_VERSION", "teamcity"],
  ["CI", "ci", /^(?!(false|0)$)/i],
];

function bySign(files: SystemFiles, signs: readonly Sign[]): Verdict {
  for (const [variable, value, match] of signs) {
    const set = files.variable(variable);
    if (set !== undefined && (match === undefined || match.test(set)))
      return {
        value,
        detected: true,
        evidence: [{ source: `env ${variable}`, found: JSON.stringify(shorten(set)) }],
      };
  }
  const looked = signs.map(([variable]) => variable);
  return {
    value: "none",
    detected: false,
    evidence: [{ source: `env ${looked.join(", ")}`, found: "unset" }],
  };
}

/** A serverless platform, from the variables it sets in every function (see {@link SERVERLESS}). */
export function detectServerless(files: SystemFiles): Verdict {
  return bySign(files, SERVERLESS);
}

/** A CI service, from the variables it sets in every job (see {@link CI}). */
export function detectCi(files: SystemFiles): Verdict {
  return bySign(files, CI);
}

/**
 * Windows Subsystem for Linux: the kernel's release (`/proc/sys/kernel/osrelease`, or
 * `/proc/version`) says `microsoft` (WSL2's `-microsoft-standard-WSL2`, WSL1's `-Microsoft`),
 * and WSL sets `WSL_DISTRO_NAME` in every shell.
 */
export function detectWsl(files: SystemFiles): Verdict {
  const evidence: Evidence[] = [];
  const release = files.line("/proc/sys/kernel/osrelease");
  let version: "wsl1" | "wsl2" | undefined;
  for (const file of ["/proc/sys/kernel/osrelease", "/proc/version"]) {
    const text = files.line(file);
    if (text === undefined || !/microsoft/i.test(text)) continue;
    evidence.push({ source: file, found: JSON.stringify(shorten(text)) });
    version = /WSL2|microsoft-standard/i.test(text) ? "wsl2" : "wsl1";
    break;
  }
  const distro = files.variable("WSL_DISTRO_NAME");
  if (distro !== undefined)
    evidence.push({ source: "env WSL_DISTRO_NAME", found: JSON.stringify(shorten(distro)) });
  if (evidence.length === 0)
    return {
      value: "none",
      detected: false,
      evidence: [
        {
          source: "/proc/sys/kernel/osrelease",
          found: release === undefined ? "absent" : `${JSON.stringify(shorten(release))}, no "microsoft"`,
        },
        { source: "env WSL_DISTRO_NAME", found: "unset" },
      ],
    };
  // WSL_DISTRO_NAME alone (the kernel unreadable) does not tell the version; WSL2 is the default since 2020.
  return { value: version ?? "wsl2", detected: true, evidence };
}
