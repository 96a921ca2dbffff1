/**
 * What every provider's `classifyError` shares: a classified HTTP failure, and the class of anything
 * thrown (our own `ProviderError`s keep theirs; timeouts and network errors are retryable).
 */
import { isTimeout } from "./http.js";
import { ProviderError } from "./provider-error.js";
import type { ProviderErrorClass } from "./types.js";

export interface Classified {
  classification: ProviderErrorClass;
  /** The provider's own code for the failure, e.g. `131026` or `rate-overlimit`. */
  providerCode?: string;
  /** Whether a send that failed this way may still have gone out. */
  mayHaveSent: boolean;
}

export function classifyThrown(err: unknown): ProviderErrorClass {
  if (err instanceof ProviderError) return err.classification;
  if (isTimeout(err)) return { kind: "retryable", reason: "timeout" };
  if (err instanceof TypeError && /fetch failed/i.test(err.message))
    return { kind: "retryable", reason: "network" };
  return { kind: "retryable", reason: "provider_error" };
}
