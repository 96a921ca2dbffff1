/**
 * Whether a live object still says everything the controller's intent says: every field of the intent is
 * present with the same value (the API server's defaults and other managers' extra fields are allowed).
 * Lists of named items (containers, env, volumes, owner references) are matched by name, so an item
 * someone added does not count; other lists (args, envFrom, capabilities) must match exactly, as server-
 * side apply replaces them whole.
 */
export function containsIntent(intent: unknown, live: unknown): boolean {
  if (intent === undefined) return true;
  if (intent === null || typeof intent !== "object") return intent === live;
  if (Array.isArray(intent)) {
    if (!Array.isArray(live)) return false;
    if (intent.length > 0 && intent.every(isNamed)) {
      return intent.every((item) => {
        const match = live.find((l) => isNamed(l) && l.name === item.name);
        return match !== undefined && containsIntent(item, match);
      });
    }
    return intent.length === live.length && intent.every((item, i) => containsIntent(item, live[i]));
  }
  if (live === null || typeof live !== "object" || Array.isArray(live)) return false;
  const liveRecord = live as Record<string, unknown>;
  return Object.entries(intent as Record<string, unknown>).every(([key, value]) =>
    containsIntent(value, liveRecord[key]),
  );
}

function isNamed(value: unknown): value is { name: string } {
  return (
    typeof value === "object" && value !== null && typeof (value as { name?: unknown }).name === "string"
  );
}
