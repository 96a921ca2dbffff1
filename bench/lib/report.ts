/** What every result file starts with, and small statistics shared by the benchmarks. */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, freemem, loadavg, totalmem } from "node:os";
import { fileURLToPath } from "node:url";

export const RESULTS_DIR = fileURLToPath(new URL("../results/", import.meta.url));

/** "2 cores (model), 24 GiB memory (21 GiB free), Node v24.x". */
export function machineLine(): string {
  const gib = (bytes: number) => Math.round(bytes / 2 ** 30);
  return `${cpus().length} cores (${cpus()[0]?.model ?? "?"}), ${gib(totalmem())} GiB memory (${gib(freemem())} GiB free), Node ${process.version}`;
}

export function loadAverageText(): string {
  return loadavg()
    .map((l) => l.toFixed(1))
    .join(", ");
}

/** The command as typed, for the result file. */
export function commandLine(script: string): string {
  const args = process.argv.slice(2);
  return `npx tsx bench/${script}${args.length ? ` ${args.join(" ")}` : ""}`;
}

/** Everything after this line in a result file is written by hand and kept when the benchmark runs again. */
export const ANALYSIS_MARKER = "<!-- analysis: written by hand, kept when the benchmark runs again -->";

/** Writes bench/results/<name>.md (keeping its hand-written analysis, if any) and returns its path. */
export function writeResult(name: string, lines: readonly string[]): string {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const path = `${RESULTS_DIR}${name}.md`;
  const previous = existsSync(path) ? readFileSync(path, "utf8") : "";
  const at = previous.indexOf(ANALYSIS_MARKER);
  const analysis = at >= 0 ? previous.slice(at) : `${ANALYSIS_MARKER}\n`;
  writeFileSync(path, `${lines.join("\n")}\n\n${analysis}`);
  // The repository's format check covers result files too.
  try {
    execFileSync(
      fileURLToPath(new URL("../../node_modules/.bin/prettier", import.meta.url)),
      ["--write", path],
      {
        stdio: "ignore",
      },
    );
  } catch {
    console.error(`Could not format ${path} with prettier; run \`npx prettier --write ${path}\``);
  }
  return path;
}

/** `--name value` and `--name=value` pairs and bare `--flag`s. */
export function parseArgs(argv: readonly string[] = process.argv.slice(2)): Map<string, string> {
  const args = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const name = argv[i]!.replace(/^--/, "");
    const eq = name.indexOf("=");
    if (eq > 0) {
      args.set(name.slice(0, eq), name.slice(eq + 1));
      continue;
    }
    const next = argv[i + 1];
    if (next !== undefined && !next.startsWith("--")) {
      args.set(name, next);
      i++;
    } else {
      args.set(name, "true");
    }
  }
  return args;
}

/** The p-quantile (0..1) of ascending `sorted`, nearest rank. */
export function quantile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
}

export function round(value: number, digits = 1): string {
  return Number.isFinite(value) ? value.toFixed(digits) : "n/a";
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
