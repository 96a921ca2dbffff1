/** The CLI's exit codes, documented in docs/cli.md. */
export const EXIT = {
  ok: 0,
  failure: 1,
  usage: 2,
  notFound: 3,
  countsMismatch: 4,
} as const;
