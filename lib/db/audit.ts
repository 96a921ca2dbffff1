/**
 * Who changed what, and why: triggers write an audit_log row for every change of a campaign's or a
 * contact's state, a phone's reply, and an outbox row entering or leaving failed, uncertain or
 * cancelled. They read the actor and the reason from two transaction-local settings, set here.
 */
import type { Queryable } from "./pool.js";

export interface AuditContext {
  /** What is acting, e.g. "worker:reply", "controller", "cli:import", "operator:jane". */
  actor: string;
  /** Why, in a few words ("reply SIM", "follow-up step 3 released the slot"); never patient data. */
  reason?: string;
}

/** Sets the actor and reason for the rest of the current transaction (call inside BEGIN ... COMMIT). */
export async function setAuditContext(client: Queryable, context: AuditContext): Promise<void> {
  await client.query(
    "SELECT set_config('busca_ativa.actor', $1, true), set_config('busca_ativa.reason', $2, true)",
    [context.actor, context.reason ?? ""],
  );
}
