/**
 * Builds a provider from its configuration. `sandbox` is the Evolution wire format pointed at the
 * sandbox server (`baseUrl` = the sandbox URL); it differs from `evolution` only in its name.
 */
import { z } from "zod";
import { AppError } from "../../lib/errors.js";
import { DEFAULT_TOKEN_HEADER } from "./evolution/webhook-auth.js";
import { EvolutionProvider } from "./evolution/provider.js";
import { DEFAULT_REPLAY_WINDOW_MS } from "./meta/webhook-auth.js";
import { MetaCloudProvider } from "./meta/provider.js";
import type { ProviderCredentials } from "./credentials.js";
import type { WhatsAppProvider } from "./types.js";

const httpUrl = z.string().regex(/^https?:\/\/\S+$/, { message: "expected an http(s) URL" });
const positiveMs = z.number().int().positive();

const evolutionSchema = z.object({
  type: z.enum(["evolution", "sandbox"]),
  /** The Evolution instance name this provider sends from. */
  instance: z.string().min(1, { message: "expected the Evolution instance name" }),
  credentials: z.object({
    baseUrl: httpUrl,
    apiKey: z.string().min(1),
    webhookToken: z.string().min(1).optional(),
    webhookJwtKey: z.string().min(1).optional(),
  }),
  /** Header carrying the static webhook token; default `x-webhook-token`. */
  webhookTokenHeader: z.string().min(1).default(DEFAULT_TOKEN_HEADER),
  /**
   * Which webhook check to use: `token` (the header) or `jwt` (Evolution's Bearer JWT). Left out:
   * every secret present in the credentials is required.
   */
  webhookAuthentication: z.enum(["token", "jwt"]).optional(),
  /** Refuse webhook JWTs issued longer ago than this; default 600 000 (Evolution's own lifetime). */
  jwtMaxAgeMs: positiveMs.optional(),
  timeouts: z
    .object({
      checkNumbersMs: positiveMs,
      sendTextMs: positiveMs,
      sendTypingExtraMs: positiveMs,
      connectionStateMs: positiveMs,
    })
    .partial()
    .optional(),
});

const metaSchema = z.object({
  type: z.literal("meta-cloud"),
  /** The Meta phone-number id this provider sends from. */
  phoneNumberId: z.string().regex(/^\d+$/, { message: "expected the numeric Meta phone-number id" }),
  credentials: z.object({
    accessToken: z.string().min(1),
    appSecret: z.string().min(1),
    verifyToken: z.string().min(1),
    graphBaseUrl: httpUrl.optional(),
    apiVersion: z
      .string()
      .regex(/^v\d+\.\d+$/, { message: "expected a Graph API version such as v23.0" })
      .optional(),
  }),
  /** Refuse signed webhook bodies whose newest event is older than this; default 300 000 (5 min). */
  replayWindowMs: positiveMs.default(DEFAULT_REPLAY_WINDOW_MS),
  timeouts: z.object({ sendMs: positiveMs, connectionStateMs: positiveMs }).partial().optional(),
});

export const providerConfigSchema = z.discriminatedUnion("type", [evolutionSchema, metaSchema]);
export type ProviderConfig = z.input<typeof providerConfigSchema>;

export interface ProviderRuntime {
  /** Milliseconds since the epoch; default `Date.now`. Webhook expiry and replay checks use it. */
  clock?: () => number;
}

export function createProvider(config: ProviderConfig, runtime: ProviderRuntime = {}): WhatsAppProvider {
  const parsed = providerConfigSchema.safeParse(config);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`);
    throw new AppError(
      "PROVIDER_CONFIG_INVALID",
      `Invalid provider configuration:\n  ${problems.join("\n  ")}`,
      { problems },
    );
  }
  const c = parsed.data;
  if (c.type === "meta-cloud") {
    return new MetaCloudProvider({
      graphBaseUrl: c.credentials.graphBaseUrl,
      apiVersion: c.credentials.apiVersion,
      accessToken: c.credentials.accessToken,
      phoneNumberId: c.phoneNumberId,
      webhook: {
        appSecret: c.credentials.appSecret,
        verifyToken: c.credentials.verifyToken,
        replayWindowMs: c.replayWindowMs,
      },
      timeouts: c.timeouts,
      clock: runtime.clock,
    });
  }
  const mode = c.webhookAuthentication;
  const token = mode === "jwt" ? undefined : c.credentials.webhookToken;
  const jwtKey = mode === "token" ? undefined : c.credentials.webhookJwtKey;
  if ((mode === "token" && !token) || (mode === "jwt" && !jwtKey) || (!token && !jwtKey)) {
    const needed =
      mode === "jwt"
        ? "credentials.webhookJwtKey"
        : mode === "token"
          ? "credentials.webhookToken"
          : "credentials.webhookToken or credentials.webhookJwtKey";
    throw new AppError(
      "PROVIDER_CONFIG_INVALID",
      `Invalid provider configuration: an Evolution provider needs ${needed}, otherwise no webhook could be authenticated`,
    );
  }
  return new EvolutionProvider({
    type: c.type,
    baseUrl: c.credentials.baseUrl,
    apiKey: c.credentials.apiKey,
    instance: c.instance,
    webhook: { token, tokenHeader: c.webhookTokenHeader, jwtKey, jwtMaxAgeMs: c.jwtMaxAgeMs },
    timeouts: c.timeouts,
    clock: runtime.clock,
  });
}

/** The parts of a Campaign's `spec.sender` a provider is built from (structurally; see docs/api.md). */
export interface SenderSpec {
  provider: "evolution" | "meta-cloud" | "sandbox";
  instance?: string;
  phoneNumberId?: string;
  baseUrl?: string;
  webhook?: { authentication?: "token" | "jwt" | "signature"; headerName?: string };
}

/**
 * The provider configuration for a Campaign sender and the credentials loaded from its Secret. The
 * sender's `baseUrl` wins over one in the Secret.
 */
export function providerConfigForSender(sender: SenderSpec, loaded: ProviderCredentials): ProviderConfig {
  if (sender.provider !== loaded.type) {
    throw new AppError(
      "PROVIDER_CONFIG_INVALID",
      `The credentials are for provider ${loaded.type} but the sender uses ${sender.provider}; point credentialsSecretRef at the right Secret`,
    );
  }
  if (loaded.type === "meta-cloud") {
    return {
      type: "meta-cloud",
      phoneNumberId: sender.phoneNumberId ?? "",
      credentials: { ...loaded.credentials, graphBaseUrl: sender.baseUrl ?? loaded.credentials.graphBaseUrl },
    };
  }
  const auth = sender.webhook?.authentication;
  return {
    type: loaded.type,
    instance: sender.instance ?? "",
    credentials: { ...loaded.credentials, baseUrl: sender.baseUrl ?? loaded.credentials.baseUrl ?? "" },
    webhookTokenHeader: sender.webhook?.headerName,
    webhookAuthentication: auth === "token" || auth === "jwt" ? auth : undefined,
  };
}
