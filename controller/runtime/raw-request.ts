/**
 * A plain GET through client-node's own transport and authentication (RequestContext, the kubeconfig's
 * credentials and TLS, undici), returning the JSON exactly as the API server sent it. The informer
 * lists with it so that listed objects and watched objects have the same shape (the generated clients
 * turn timestamps into Date objects; the watch does not).
 */
import {
  ApiException,
  createConfiguration,
  HttpMethod,
  RequestContext,
  type KubeConfig,
} from "@kubernetes/client-node";

const httpApi = createConfiguration().httpApi;

export interface GetJsonOptions {
  /** Query parameters; undefined values are left out. */
  query?: Record<string, string | number | boolean | undefined>;
  signal?: AbortSignal;
  /** Gives up after this long; default 60 s. */
  timeoutMs?: number;
}

export async function getJson(
  kubeConfig: KubeConfig,
  path: string,
  options: GetJsonOptions = {},
): Promise<unknown> {
  const cluster = kubeConfig.getCurrentCluster();
  if (!cluster) throw new Error("The kubeconfig has no current cluster: set a current context");
  const url = new URL(cluster.server + path);
  for (const [key, value] of Object.entries(options.query ?? {})) {
    if (value !== undefined) url.searchParams.set(key, String(value));
  }
  const ctx = new RequestContext(url.toString(), HttpMethod.GET);
  ctx.setHeaderParam("Accept", "application/json");
  await kubeConfig.applySecurityAuthentication(ctx);
  const timeout = AbortSignal.timeout(options.timeoutMs ?? 60_000);
  ctx.setSignal(options.signal ? AbortSignal.any([options.signal, timeout]) : timeout);
  const response = await httpApi.send(ctx).toPromise();
  const text = await response.body.text();
  if (response.httpStatusCode < 200 || response.httpStatusCode > 299) {
    throw new ApiException(response.httpStatusCode, `GET ${path} failed`, text, response.headers);
  }
  return JSON.parse(text) as unknown;
}
