/** The small controller runtime: import from here. See docs/controller-runtime.md. */
export { systemClock, sleep, type Clock, type ClockTimer } from "./clock.js";
export { exponentialDelay, ItemExponentialBackoff, ReconnectBackoff } from "./backoff.js";
export { WorkQueue, type WorkQueueOptions, type ShutDownOptions, type ProcessOptions } from "./workqueue.js";
export {
  Informer,
  stripManagedFields,
  type InformerOptions,
  type AddHandler,
  type UpdateHandler,
  type DeleteHandler,
} from "./informer.js";
export {
  Controller,
  TerminalError,
  generationChanged,
  type ControllerOptions,
  type Reconciler,
  type ReconcileContext,
  type ReconcileResult,
  type ObjectEventSource,
  type EventPredicate,
  type WatchOptions,
} from "./controller.js";
export { controllerOwnerKey, controllerReference, groupOf, type OwnerType } from "./owner.js";
export { keyOf, objectKey, splitKey, type ObjectName } from "./keys.js";
export {
  LeaderElector,
  defaultIdentity,
  validateLeaderElectionTimings,
  LEADER_ELECTION_DEFAULTS,
  type LeaderElectorOptions,
  type LeaderElectionTimings,
  type LeadershipEnd,
} from "./leader-election.js";
export { HealthServer, informersSynced, type Check, type HealthServerOptions } from "./health-server.js";
export {
  mergePatch,
  mergePatchStatus,
  applyObject,
  retryOnConflict,
  addFinalizer,
  removeFinalizer,
  hasFinalizer,
  DEFAULT_FIELD_MANAGER,
  type CustomObjectRef,
  type CustomObjectsClient,
  type MergePatchOptions,
} from "./patch.js";
export {
  EventRecorder,
  referenceTo,
  type EventInput,
  type EventRecorderOptions,
  type ObjectReference,
} from "./events.js";
export {
  setCondition,
  findCondition,
  isConditionTrue,
  removeCondition,
  statusEqual,
  formatConditionTime,
  type Condition,
  type ConditionInput,
  type ConditionStatus,
} from "./conditions.js";
export {
  apiStatusCode,
  apiStatus,
  isConflict,
  isNotFound,
  isAlreadyExists,
  describeApiError,
} from "./api-errors.js";
export { formatTime, formatMicroTime } from "./kube-time.js";
