/** `busca-ativa demo`: the main job, a real campaign end to end on a local stack (see cli/dev/demo.ts). */
import type { Command } from "commander";
import { runDemo } from "../dev/demo.js";
import { EXIT } from "../exit-codes.js";

export function registerDemoCommand(program: Command): void {
  program
    .command("demo")
    .description(
      "Run a real campaign end to end on a local stack (control plane, Redis, PostgreSQL, sandbox WhatsApp)",
    )
    .option("--patients <n>", "synthetic patients on the list", "500")
    .option(
      "--time-scale <x>",
      "accelerated time for pacing and reminders (0.005: 5 s is 25 ms, 1 h is 18 s)",
      "0.005",
    )
    .option("--timeout <seconds>", "give up after this long", "600")
    .option("--json", "print the result as JSON at the end")
    .action(async (options: { patients: string; timeScale: string; timeout: string; json?: boolean }) => {
      const patients = Number(options.patients);
      const timeScale = Number(options.timeScale);
      if (!Number.isInteger(patients) || patients < 10 || patients > 100_000)
        throw new Error("--patients must be a whole number from 10 to 100000");
      if (!(timeScale > 0 && timeScale <= 1)) throw new Error("--time-scale must be above 0 and at most 1");
      const result = await runDemo({
        patients,
        timeScale,
        timeoutMs: Number(options.timeout) * 1000,
        progress: true,
        write: (line) => console.log(line),
      });
      if (options.json)
        console.log(
          JSON.stringify({
            ok: result.ok,
            problems: result.problems,
            seconds: result.seconds,
            status: result.status,
          }),
        );
      if (!result.ok) process.exitCode = EXIT.countsMismatch;
    });
}
