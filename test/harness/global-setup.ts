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
  environment = await TestEnvironment.start();
  project.provide("testEnv", environment.info);
}

export async function teardown(): Promise<void> {
  await environment?.stop({ keepFiles: process.env.TESTENV_KEEP === "1" });
}
