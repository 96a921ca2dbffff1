/** Kubernetes time formats: metav1.Time (RFC 3339, seconds) and metav1.MicroTime (RFC 3339, microseconds). */

/** metav1.Time: `2026-03-01T12:34:56Z`. */
export function formatTime(epochMs: number): string {
  return `${new Date(epochMs).toISOString().slice(0, 19)}Z`;
}

/** metav1.MicroTime: `2026-03-01T12:34:56.789000Z` (the API server wants exactly six digits). */
export function formatMicroTime(epochMs: number): string {
  return `${new Date(epochMs).toISOString().slice(0, -1)}000Z`;
}
