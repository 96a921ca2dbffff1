/**
 * Brazil's area codes (DDD, "discagem direta a distância"): the 67 two-digit codes in use, from Anatel's
 * numbering plan. A number whose first two national digits are not in this list is not a Brazilian
 * number, whatever its length.
 */
const DDD_LIST =
  "11 12 13 14 15 16 17 18 19 21 22 24 27 28 31 32 33 34 35 37 38 41 42 43 44 45 46 47 48 49 " +
  "51 53 54 55 61 62 63 64 65 66 67 68 69 71 73 74 75 77 79 81 82 83 84 85 86 87 88 89 " +
  "91 92 93 94 95 96 97 98 99";

export const VALID_DDDS: ReadonlySet<string> = new Set(DDD_LIST.split(" "));

export function isValidDdd(ddd: string): boolean {
  return VALID_DDDS.has(ddd);
}
