/** The WhatsApp providers: one interface, Evolution API v2 and Meta Cloud API clients, and their helpers. */
export type * from "./types.js";
export {
  ProviderError,
  MalformedWebhookError,
  PROVIDER_ERROR_CODES,
  WEBHOOK_MALFORMED,
} from "./provider-error.js";
export type { ProviderOperation, ProviderErrorContext } from "./provider-error.js";
export { classifyThrown, type Classified } from "./classification.js";
export { classifyEvolutionFailure, EVOLUTION_RATE_OVERLIMIT_BACKOFF_MS } from "./evolution/classify.js";
export { classifyMetaError, META_ERROR_TABLE, META_BACKOFF_MS } from "./meta/classify.js";
export { EvolutionProvider, type EvolutionProviderOptions } from "./evolution/provider.js";
export { MetaCloudProvider, type MetaCloudProviderOptions } from "./meta/provider.js";
export { DEFAULT_TOKEN_HEADER, DEFAULT_JWT_MAX_AGE_MS } from "./evolution/webhook-auth.js";
export { DEFAULT_REPLAY_WINDOW_MS, signMetaBody } from "./meta/webhook-auth.js";
export {
  createProvider,
  providerConfigSchema,
  providerConfigForSender,
  type ProviderConfig,
  type ProviderRuntime,
  type SenderSpec,
} from "./factory.js";
export {
  loadProviderCredentials,
  credentialsFromSecretData,
  CREDENTIAL_KEYS,
  type ProviderCredentials,
  type EvolutionCredentials,
  type MetaCredentials,
} from "./credentials.js";
export { canonicalE164, ninthDigitVariants, evolutionLookupDigits } from "./brazil-numbers.js";
export { eventDedupeKey } from "./event-key.js";
