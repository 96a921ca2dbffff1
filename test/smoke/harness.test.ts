/** Proves the harness leaves no stray processes: a tethered server dies with its owner, even on SIGKILL. */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { alive } from "../harness/background.js";
import { ManagedProcess } from "../harness/process.js";
import { waitFor } from "../harness/wait.js";

describe("managed processes", () => {
  it("stop when their owner is killed with SIGKILL", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tether-"));
    // The owner is a separate process we can kill without killing the test.
    const owner = spawn("sleep", ["600"], { stdio: "ignore" });
    try {
      const server = new ManagedProcess({
        name: "sleeper",
        command: "bash",
        args: ["-c", "echo $$ > pid; exec sleep 600"],
        cwd: dir,
        logFile: join(dir, "log"),
        ownerPid: owner.pid,
        graceSeconds: 1,
      });
      const pid = await waitFor(
        () => existsSync(join(dir, "pid")) && Number(readFileSync(join(dir, "pid"), "utf8")),
        {
          timeoutMs: 10_000,
          what: "the tethered process to start",
        },
      );
      expect(alive(pid)).toBe(true);
      owner.kill("SIGKILL");
      await waitFor(() => !alive(pid), { timeoutMs: 15_000, what: "the tethered process to stop" });
      await waitFor(() => !server.running, { timeoutMs: 5_000, what: "the tether to exit" });
    } finally {
      owner.kill("SIGKILL");
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("stop on request, escalating to SIGKILL when the stop signal is ignored", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tether-"));
    try {
      const server = new ManagedProcess({
        name: "stubborn",
        command: "bash",
        args: ["-c", "trap '' TERM; echo $$ > pid; while true; do sleep 0.2; done"],
        cwd: dir,
        logFile: join(dir, "log"),
        graceSeconds: 1,
      });
      const pid = await waitFor(
        () => existsSync(join(dir, "pid")) && Number(readFileSync(join(dir, "pid"), "utf8")),
        {
          timeoutMs: 10_000,
          what: "the stubborn process to start",
        },
      );
      await server.stop();
      await waitFor(() => !alive(pid), { timeoutMs: 10_000, what: "the stubborn process to be killed" });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
