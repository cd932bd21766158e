/**
 * Hooks a leak tracker (see `testing.ts`) registers to hear about every
 * owned `Memfd` opened and closed and every `Mapping` mapped and unmapped.
 * With no tracker registered each hook is one size check: production code
 * pays nothing else (no stacks are captured here).
 * @module
 */

/** The kinds of resource a tracker is told about. */
export type ResourceKind = "memfd" | "mapping";

/** What a tracker implements. */
export interface ResourceTracker {
  /** `resource` now holds an fd or mapped pages; `name` is the memfd's. */
  acquired(resource: object, kind: ResourceKind, name: string): void;
  /** `resource` gave its fd or pages back to the kernel. */
  released(resource: object): void;
}

const trackers = new Set<ResourceTracker>();

/** Starts telling `tracker` about resources; returns how to stop. */
export function addTracker(tracker: ResourceTracker): () => void {
  trackers.add(tracker);
  return () => {
    trackers.delete(tracker);
  };
}

/** Called by the library when `resource` acquires an fd or pages. */
export function acquired(
  resource: object,
  kind: ResourceKind,
  name: string,
): void {
  if (trackers.size === 0) return;
  for (const t of trackers) t.acquired(resource, kind, name);
}

/** Called by the library when `resource` releases them. */
export function released(resource: object): void {
  if (trackers.size === 0) return;
  for (const t of trackers) t.released(resource);
}
