/** Campaign `spec.message`: the first message sent to each patient. */
import { z } from "zod";
import { template } from "../template.js";

const metaTemplateSchema = z
  .object({
    name: z
      .string()
      .min(1)
      .max(512)
      .regex(/^[a-z0-9_]+$/)
      .meta({ description: "Name of the message template approved in the Meta WhatsApp Manager." }),
    language: z
      .string()
      .min(2)
      .max(15)
      .regex(/^[a-z]{2,3}(_[A-Z]{2})?$/)
      .default("pt_BR")
      .meta({ description: "Language code of the approved template, e.g. pt_BR." }),
    bodyParameters: z
      .array(template("One body parameter, with placeholders filled from the patient list, e.g. {nome}."))
      .max(10)
      .meta({ description: "Values for the template's body variables {{1}}, {{2}}, … in order." })
      .prefault([]),
  })
  .meta({
    description:
      "A Meta-approved template sent instead of the free text when `sender.provider` is `meta-cloud` (Meta refuses free text outside the 24-hour window).",
  });

export const messageSchema = z
  .object({
    template: template(
      "The message text. `{nome}` and `{procedimento}` are filled from the list's name and procedure columns; any other `{column}` from the column with that header.",
    ),
    variants: z
      .array(template("An alternative wording of the message."))
      .max(10)
      .meta({
        description:
          "Other wordings, rotated across contacts together with `template` (contact n gets wording n mod the number of wordings) so that not every patient receives identical text.",
      })
      .optional(),
    metaTemplate: metaTemplateSchema.optional(),
  })
  .meta({ description: "The first message sent to each patient." });

export type Message = z.output<typeof messageSchema>;
export type MetaTemplate = z.output<typeof metaTemplateSchema>;
export { metaTemplateSchema };
