/** Brazilian phone numbers: normalisation of list cells, canonical E.164 and WhatsApp variants. */
export { VALID_DDDS, isValidDdd } from "./ddd.js";
export {
  normalisePhone,
  PHONE_REJECTION_REASONS,
  type LineType,
  type NormalisedPhone,
  type NormalisePhoneOptions,
  type PhoneRejectionReason,
  type PhoneResult,
} from "./normalise.js";
export {
  parsePhoneCell,
  expandScientific,
  type PhoneCellResult,
  type PhoneCellValue,
  type RejectedPhoneToken,
} from "./cell.js";
export { phoneVariants, canonicalPhone } from "./variants.js";
