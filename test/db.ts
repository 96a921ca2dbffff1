/**
 * A fresh, migrated database for a test: `await freshMigratedDatabase()` gives its URL; it is dropped
 * when the test (or, called from beforeAll, the caller through `dispose`) finishes.
 */
import { freshDatabase, type Disposable } from "./harness/fixtures.js";
import { runMigrations } from "../lib/db/migrate.js";

export async function freshMigratedDatabase(): Promise<Disposable<string>> {
  const database = await freshDatabase();
  await runMigrations(database.value);
  return database;
}
