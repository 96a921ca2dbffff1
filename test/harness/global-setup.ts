/**
 * vitest global setup: one environment for the whole run, stopped at the end (and by the tethers if
 * the run is killed). Tests reach it through `inject("testEnv")`; see `fixtures.ts`.
 */
import type { TestProject } from "vitest/node";
import { TestEnvironment, type TestEnvInfo } from "./environment.js";

declare module "vitest" {
  export interface ProvidedContext {
    testEnv: TestEnvInfo;
  }
}

let environment: TestEnvironment | undefined;

export async function setup(project: TestProject): Promise<void> {
  // TESTENV=off skips the servers for a quick run of pure tests while developing; every test that
  // needs them then fails at `testEnv()`. CI never sets it.
  if (process.env.TESTENV === "off") return;
  environment = await TestEnvironment.start();
  project.provide("testEnv", environment.info);
}

export async function teardown(): Promise<void> {
  await environment?.stop({ keepFiles: process.env.TESTENV_KEEP === "1" });
}
