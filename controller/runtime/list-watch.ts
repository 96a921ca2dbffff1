/**
 * The informer's transport: a paged list and one watch request, on client-node's request machinery
 * and `Watch`. No state and no retries here; the informer decides what to do with each outcome.
 */
import {
  Watch,
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
} from "@kubernetes/client-node";
import { apiStatusCode } from "./api-errors.js";
import { getJson } from "./raw-request.js";

export interface Selectors {
  labelSelector?: string;
  fieldSelector?: string;
}

/** Lists the whole collection at `path` in pages; restarts without paging if a continue token expires. */
export async function listAll<T extends KubernetesObject>(
  kubeConfig: KubeConfig,
  path: string,
  options: Selectors & { pageSize: number; signal: AbortSignal },
): Promise<{ items: T[]; resourceVersion: string }> {
  const items: T[] = [];
  let continueToken: string | undefined;
  let resourceVersion = "";
  do {
    let page: KubernetesListObject<T>;
    try {
      page = (await getJson(kubeConfig, path, {
        signal: options.signal,
        query: {
          limit: options.pageSize,
          continue: continueToken,
          labelSelector: options.labelSelector,
          fieldSelector: options.fieldSelector,
        },
      })) as KubernetesListObject<T>;
    } catch (err) {
      if (continueToken !== undefined && apiStatusCode(err) === 410) {
        // The continue token expired between pages: start the list over.
        items.length = 0;
        continueToken = undefined;
        continue;
      }
      throw err;
    }
    items.push(...(page.items ?? []));
    resourceVersion = page.metadata?.resourceVersion ?? "";
    // Raw JSON from the API server: the field is `continue` (`_continue` is only client-node's model name).
    const meta = page.metadata as { continue?: string; _continue?: string } | undefined;
    continueToken = meta?.continue || meta?._continue || undefined;
  } while (continueToken !== undefined);
  return { items, resourceVersion };
}

/** How a watch request ended (errors reject instead). */
export type WatchOutcome =
  { kind: "closed" | "timeout"; events: number } | { kind: "expired" } | { kind: "aborted" };

export type WatchEventType = "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK";

export interface WatchHandlers<T> {
  /** An object event or a bookmark; not called once the watch has ended or been aborted. */
  onEvent(type: WatchEventType, obj: T): void;
  /** The API server accepted the watch (HTTP 200). */
  onConnected(): void;
}

type StatusObject = { code?: number; message?: string; reason?: string };

/**
 * One watch request from `resourceVersion`, with bookmarks and a server-side timeout of 5-10 minutes
 * (like client-go's reflector). Resolves "expired" on 410 Gone (HTTP status or ERROR event), "timeout"
 * on client-node's 30 s inactivity timeout, "closed" when the server ends it, "aborted" at once when
 * `signal` aborts; rejects on any other failure, including an ERROR event other than 410.
 */
export function watchStream<T extends KubernetesObject>(
  kubeConfig: KubeConfig,
  path: string,
  options: Selectors & { resourceVersion: string; signal: AbortSignal },
  handlers: WatchHandlers<T>,
): Promise<WatchOutcome> {
  const { signal } = options;
  return new Promise<WatchOutcome>((resolve, reject) => {
    let events = 0;
    let expired = false;
    let errorEvent: StatusObject | undefined;
    let finished = false;
    let connection: AbortController | undefined;
    const finish = (outcome: WatchOutcome | Error) => {
      if (finished) return;
      finished = true;
      signal.removeEventListener("abort", onAbort);
      if (outcome instanceof Error) reject(outcome);
      else resolve(outcome);
    };
    const onAbort = () => {
      connection?.abort();
      finish({ kind: "aborted" }); // do not wait for a connection that may still be opening
    };
    if (signal.aborted) return finish({ kind: "aborted" });
    signal.addEventListener("abort", onAbort, { once: true });

    const onEvent = (type: string, obj: T & StatusObject) => {
      if (finished) return;
      if (type === "ERROR") {
        if (obj.code === 410) expired = true;
        else errorEvent = obj;
        return;
      }
      if (type !== "ADDED" && type !== "MODIFIED" && type !== "DELETED" && type !== "BOOKMARK") return;
      events += 1;
      handlers.onEvent(type, obj);
    };
    const onDone = (err: unknown) => {
      if (signal.aborted) return finish({ kind: "aborted" });
      if (expired || apiStatusCode(err) === 410) return finish({ kind: "expired" });
      if (errorEvent) {
        const { code = "unknown", reason = "", message = "" } = errorEvent;
        return finish(new Error(`Watch ERROR event ${code}: ${reason} ${message}`.trim()));
      }
      if (err && (err as { name?: string }).name === "TimeoutError")
        return finish({ kind: "timeout", events });
      if (err) return finish(err instanceof Error ? err : new Error(String(err)));
      finish({ kind: "closed", events });
    };
    const query = {
      resourceVersion: options.resourceVersion,
      allowWatchBookmarks: true,
      timeoutSeconds: 300 + Math.floor(Math.random() * 300),
      labelSelector: options.labelSelector,
      fieldSelector: options.fieldSelector,
    };
    new Watch(kubeConfig).watch(path, query, onEvent, onDone).then(
      (controller) => {
        connection = controller;
        if (signal.aborted) controller.abort();
        else if (!finished) handlers.onConnected();
      },
      (err: unknown) => finish(err instanceof Error ? err : new Error(String(err))),
    );
  });
}
