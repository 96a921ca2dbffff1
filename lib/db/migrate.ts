/**
 * Database migrations with node-pg-migrate. The migration files are TypeScript modules next to this
 * file (`migrations/<timestamp>_<name>.ts`, SQL written in them); a compiled build finds the `.js`
 * files at the same place relative to this module, so `busca-ativa migrate` works from `dist/` too.
 *
 * Safe to run any number of times and from several processes at once: node-pg-migrate holds an
 * advisory lock while it migrates (a second run waits, then finds nothing to do), and all pending
 * migrations run in one transaction.
 */
import { fileURLToPath, pathToFileURL } from "node:url";
import { runner, type RunnerOption } from "node-pg-migrate";
import type { Logger } from "../logger.js";

export const MIGRATIONS_DIR = fileURLToPath(new URL("./migrations/", import.meta.url));
export const MIGRATIONS_TABLE = "pgmigrations";

/** Dot-files, source maps, declarations and tests in the migrations folder are not migrations. */
const IGNORE_PATTERN = "(\\..*|.*\\.map|.*\\.d\\.[cm]?ts|.*\\.test\\.[cm]?[jt]s)";

export interface MigrateOptions {
  logger?: Logger;
}

export interface MigrateResult {
  /** Names of the migrations this run applied, oldest first; empty when the database was current. */
  applied: string[];
}

export async function runMigrations(
  databaseUrl: string,
  options: MigrateOptions = {},
): Promise<MigrateResult> {
  const { logger } = options;
  const ran = await runner({
    databaseUrl,
    dir: MIGRATIONS_DIR,
    ignorePattern: IGNORE_PATTERN,
    migrationsTable: MIGRATIONS_TABLE,
    direction: "up",
    checkOrder: true,
    singleTransaction: true,
    advisoryLockMode: "wait",
    migrationLoaderStrategies: [{ extensions: [".ts", ".js", ".mjs"], loader: importMigrations }],
    logger: {
      // node-pg-migrate prints every statement at info; that is debug detail here.
      debug: (msg: string) => logger?.debug({ detail: msg }, "Migration runner output"),
      info: (msg: string) => logger?.debug({ detail: msg }, "Migration runner output"),
      warn: (msg: string) => logger?.warn({ detail: msg }, "Migration runner warned"),
      error: (msg: string) => logger?.error({ detail: msg }, "Migration runner failed"),
    },
  });
  const applied = ran.map((m) => m.name);
  logger?.info({ applied, count: applied.length }, "Database migrations are up to date");
  return { applied };
}

type MigrationLoader = Extract<
  NonNullable<RunnerOption["migrationLoaderStrategies"]>[number]["loader"],
  (...args: never[]) => unknown
>;
type MigrationUnit = Awaited<ReturnType<MigrationLoader>>[number];

/** Loads migration modules with the runtime's own `import()` (tsx and vitest for .ts, Node for .js). */
const importMigrations: MigrationLoader = async (filePaths) => {
  const units: MigrationUnit[] = [];
  for (const filePath of filePaths) {
    const actions = (await import(pathToFileURL(filePath).href)) as MigrationUnit["actions"];
    units.push({ id: filePath, filePaths: [filePath], actions });
  }
  return units;
};
