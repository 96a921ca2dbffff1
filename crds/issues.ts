/** Zod issues as one message a person can act on, with the path of each field, like the API server. */
import type { z } from "zod";

export function formatIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      const path = issue.path.map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`)).join("");
      return `${path.replace(/^\./, "") || "(object)"}: ${issue.message}`;
    })
    .join("; ");
}
