/** The send window moved to lib/pacing/window.ts (the worker needs it too); this re-export keeps old imports working. */
export * from "../../lib/pacing/window.js";
