/**
 * Running the real helm and kubectl against the chart: render, lint, install. Results carry the exit code
 * and both outputs; nothing here throws on a non-zero exit unless the name says so (`renderChart`).
 */
import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import { REPO_ROOT, kubeTool } from "../harness/tools.js";

export const CHART_DIR = join(REPO_ROOT, "charts", "busca-ativa");

export type Values = Record<string, unknown>;

export interface ToolResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** A rendered Kubernetes object: what the tests read of it. */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  [field: string]: unknown;
}

export function run(command: string, args: string[], input?: string): Promise<ToolResult> {
  return new Promise((resolve) => {
    const child = execFile(
      command,
      args,
      { maxBuffer: 64 * 1024 * 1024, env: { ...process.env, HELM_CACHE_HOME: helmHome("cache") } },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
    if (input !== undefined) child.stdin?.end(input);
  });
}

let scratch: string | undefined;
function scratchDir(): string {
  scratch ??= mkdtempSync(join(tmpdir(), "chart-test-"));
  return scratch;
}

/** Helm's cache and config in a private folder: tests never touch the user's helm settings. */
function helmHome(kind: string): string {
  return join(scratchDir(), `helm-${kind}`);
}

let valuesCount = 0;
/** Writes values to a file for `-f` (JSON is YAML). */
export function valuesFile(values: Values): string {
  const path = join(scratchDir(), `values-${process.pid}-${valuesCount++}.json`);
  writeFileSync(path, JSON.stringify(values));
  return path;
}

export function helm(args: string[]): Promise<ToolResult> {
  return run(kubeTool("helm"), [
    ...args,
    "--repository-config",
    join(helmHome("config"), "repositories.yaml"),
    "--registry-config",
    join(helmHome("config"), "registry.json"),
  ]);
}

export function kubectl(args: string[], input?: string): Promise<ToolResult> {
  return run(kubeTool("kubectl"), args, input);
}

export interface RenderOptions {
  release?: string;
  namespace?: string;
  /** Extra helm flags, e.g. ["--show-only", "templates/x.yaml"]. */
  flags?: string[];
}

/** `helm template` with these values; the raw result (for tests that expect a refusal). */
export function template(values: Values, options: RenderOptions = {}): Promise<ToolResult> {
  return helm([
    "template",
    options.release ?? "busca-ativa",
    CHART_DIR,
    "--namespace",
    options.namespace ?? "busca-ativa",
    "-f",
    valuesFile(values),
    ...(options.flags ?? []),
  ]);
}

/** Parses a multi-document YAML stream into objects, skipping empty documents. */
export function parseObjects(yamlText: string): K8sObject[] {
  return parseAllDocuments(yamlText)
    .map((doc) => doc.toJS() as K8sObject | null)
    .filter((o): o is K8sObject => o !== null && typeof o === "object" && "kind" in o);
}

/** `helm template` parsed into objects; throws with helm's message when it refuses. */
export async function renderChart(values: Values, options: RenderOptions = {}): Promise<K8sObject[]> {
  const result = await template(values, options);
  if (result.code !== 0) throw new Error(`helm template failed (${result.code}):\n${result.stderr}`);
  return parseObjects(result.stdout);
}

export function lint(values: Values): Promise<ToolResult> {
  return helm(["lint", "--strict", CHART_DIR, "-f", valuesFile(values)]);
}
