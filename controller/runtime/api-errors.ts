/**
 * Reading errors from the Kubernetes API. client-node 2.x throws `ApiException` with `code` (the HTTP
 * status), `body` (the response text, usually a JSON `Status`) and `headers`; its Watch reports HTTP
 * failures as an Error with `statusCode`. These helpers accept any of them.
 */

export interface ApiStatus {
  code?: number;
  reason?: string;
  message?: string;
}

/** The HTTP status of a failed API call, or undefined when the error did not come from the API. */
export function apiStatusCode(err: unknown): number | undefined {
  if (typeof err !== "object" || err === null) return undefined;
  const record = err as { code?: unknown; statusCode?: unknown };
  if (typeof record.code === "number") return record.code;
  if (typeof record.statusCode === "number") return record.statusCode;
  return undefined;
}

/** The API server's `Status` object of a failed call, when the body holds one. */
export function apiStatus(err: unknown): ApiStatus | undefined {
  if (typeof err !== "object" || err === null) return undefined;
  const body = (err as { body?: unknown }).body;
  if (typeof body === "object" && body !== null) return body as ApiStatus;
  if (typeof body !== "string" || body === "") return undefined;
  try {
    const parsed = JSON.parse(body) as unknown;
    return typeof parsed === "object" && parsed !== null ? (parsed as ApiStatus) : undefined;
  } catch {
    return undefined;
  }
}

/** 409 Conflict: the object changed since it was read (not a create of an existing name). */
export function isConflict(err: unknown): boolean {
  return apiStatusCode(err) === 409 && apiStatus(err)?.reason !== "AlreadyExists";
}

export function isNotFound(err: unknown): boolean {
  return apiStatusCode(err) === 404;
}

/** 409 with reason AlreadyExists (a create of an existing name). */
export function isAlreadyExists(err: unknown): boolean {
  return apiStatusCode(err) === 409 && apiStatus(err)?.reason === "AlreadyExists";
}

/** A short description for logs: status code, reason and the API server's message. */
export function describeApiError(err: unknown): string {
  const code = apiStatusCode(err);
  const status = apiStatus(err);
  if (code === undefined) return err instanceof Error ? err.message : String(err);
  return [code, status?.reason, status?.message]
    .filter((part) => part !== undefined && part !== "")
    .join(" ");
}
