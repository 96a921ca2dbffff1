/** Campaign `spec.validation`: checking which phones have WhatsApp before sending. */
import { z } from "zod";

export const numberValidationSchema = z
  .object({
    enabled: z.boolean().default(true).meta({
      description:
        "Check which phones have WhatsApp before sending, where the provider can (Meta cannot: numbers are then tried directly).",
    }),
    batchSize: z.int().min(1).max(500).default(50).meta({ description: "Phones checked per provider call." }),
  })
  .meta({ description: "Checking phone numbers with the provider before sending." });

export type NumberValidation = z.output<typeof numberValidationSchema>;
