/** The Campaign object as stored by the API server, and its parse. */
import { z } from "zod";
import { API_VERSION, CAMPAIGN_KIND, CAMPAIGN_NAME_MAX_LENGTH } from "../constants.js";
import { nameLengthRule, objectMetaSchema } from "../metadata.js";
import { withRules } from "../rules.js";
import { campaignSpecSchema } from "./spec.js";
import { campaignStatusSchema } from "./status.js";

export const campaignSchema = withRules(
  z
    .object({
      apiVersion: z.literal(API_VERSION),
      kind: z.literal(CAMPAIGN_KIND),
      metadata: objectMetaSchema,
      spec: campaignSpecSchema,
      status: campaignStatusSchema.optional(),
    })
    .meta({
      description:
        "A WhatsApp outreach campaign over a hospital waiting list: who to contact, what to send, how replies are understood, through which provider and at what pace.",
    }),
  [nameLengthRule("Campaign", CAMPAIGN_NAME_MAX_LENGTH, "it is used as a label value")],
);

/** A Campaign as read from the API server (defaults applied). */
export type Campaign = z.output<typeof campaignSchema>;
/** A Campaign as a person writes it (defaulted fields optional, no status). */
export type CampaignInput = z.input<typeof campaignSchema>;

/**
 * Parses an object read from the API server, applying defaults as the API server does. Throws a
 * ZodError (see formatIssues) when the object does not match the schema.
 */
export function parseCampaign(object: unknown): Campaign {
  return campaignSchema.parse(object);
}
