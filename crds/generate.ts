/**
 * Writes the generated files (CRD YAML, docs/api.md) from the zod schemas.
 *
 *   npm run generate                 write every file
 *   npm run check:generated          (--check) fail, naming the file, when one is stale
 */
import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { REPO_ROOT, generatedFiles } from "./generate/outputs.js";

/** Paths of generated files whose content on disk differs from what the schemas produce. */
export function staleFiles(root = REPO_ROOT): string[] {
  return generatedFiles()
    .filter((file) => readOrEmpty(join(root, file.path)) !== file.content)
    .map((file) => file.path);
}

function readOrEmpty(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
}

function main(argv: string[]): number {
  if (argv.includes("--check")) {
    const stale = staleFiles();
    if (stale.length === 0) {
      process.stdout.write("Generated files are up to date.\n");
      return 0;
    }
    for (const path of stale) {
      process.stderr.write(`${path} is stale: it differs from what the zod schemas in crds/ produce.\n`);
    }
    process.stderr.write("Run `npm run generate` and commit the result.\n");
    return 1;
  }
  for (const file of generatedFiles()) {
    const path = join(REPO_ROOT, file.path);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, file.content);
    process.stdout.write(`Wrote ${file.path}\n`);
  }
  return 0;
}

const invokedDirectly =
  process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (invokedDirectly) process.exitCode = main(process.argv.slice(2));
