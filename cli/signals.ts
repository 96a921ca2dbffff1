/** Waiting for SIGTERM or SIGINT (or for `stopped`, when the process ends itself, e.g. a lost lease). */
export function untilSignal(stopped?: Promise<unknown>): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      process.off("SIGTERM", done);
      process.off("SIGINT", done);
      resolve();
    };
    process.on("SIGTERM", done);
    process.on("SIGINT", done);
    void stopped?.then(done, done);
  });
}
