import { describe, expect, it } from "vitest";
import { SharedStringFile } from "./shared-strings.js";

describe("SharedStringFile", () => {
  it("gives back every string by index, across write buffers and cache evictions", () => {
    const strings = new SharedStringFile();
    try {
      const texts = Array.from(
        { length: 20_000 },
        (_, i) => `Paciente ${i} — João Ávila ${"x".repeat(i % 50)}`,
      );
      texts.forEach((t) => strings.add(t));
      strings.add("");
      expect(strings.size).toBe(20_001);
      for (const i of [0, 1, 4095, 4096, 12_345, 19_999]) expect(strings.get(i)).toBe(texts[i]);
      for (let i = 0; i < texts.length; i += 7) expect(strings.get(i)).toBe(texts[i]);
      expect(strings.get(20_000)).toBe("");
      expect(strings.get(20_001)).toBeNull();
      expect(strings.get(-1)).toBeNull();
      // Strings added after reads are read back too (the cached last block grew).
      for (let i = 0; i < 5000; i++) strings.add(`late ${i}`);
      expect(strings.get(20_001 + 4999)).toBe("late 4999");
      expect(strings.get(20_000)).toBe("");
    } finally {
      strings.close();
    }
  });
});
