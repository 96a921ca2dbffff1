/** The sandbox WhatsApp server: start it, drive it through its client, read what it recorded. */
export { startSandbox, type SandboxHandle } from "./server.js";
export {
  SandboxClient,
  type RegistryUpdate,
  type PatientsUpdate,
  type FaultsUpdate,
  type WebhooksUpdate,
  type OneShotFaultInput,
  type SandboxStats,
} from "./client.js";
export {
  sandboxOptionsSchema,
  type SandboxOptions,
  type SandboxConfig,
  type NumberRecord,
  type Behaviour,
  BEHAVIOURS,
  FAULT_KINDS,
} from "./config.js";
export { textFingerprint, type ReceivedMessage, type ReceivedCounts } from "./mailbox.js";
export type { WebhookLogEntry } from "./webhook-sender.js";
export type { RequestLogEntry } from "./core.js";
