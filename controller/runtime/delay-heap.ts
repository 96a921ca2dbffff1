/** A binary min-heap of delayed work queue entries, ordered by the time they are due. */

export interface DelayedEntry {
  readyAt: number;
  key: string;
}

export function heapPush(heap: DelayedEntry[], entry: DelayedEntry): void {
  heap.push(entry);
  let i = heap.length - 1;
  while (i > 0) {
    const parent = (i - 1) >> 1;
    if ((heap[parent] as DelayedEntry).readyAt <= entry.readyAt) break;
    heap[i] = heap[parent] as DelayedEntry;
    i = parent;
  }
  heap[i] = entry;
}

export function heapPop(heap: DelayedEntry[]): DelayedEntry | undefined {
  const top = heap[0];
  const last = heap.pop();
  if (heap.length === 0 || !last) return top;
  let i = 0;
  for (;;) {
    const left = 2 * i + 1;
    const right = left + 1;
    let smallest = i;
    let smallestAt = last.readyAt;
    if (left < heap.length && (heap[left] as DelayedEntry).readyAt < smallestAt) {
      smallest = left;
      smallestAt = (heap[left] as DelayedEntry).readyAt;
    }
    if (right < heap.length && (heap[right] as DelayedEntry).readyAt < smallestAt) smallest = right;
    if (smallest === i) break;
    heap[i] = heap[smallest] as DelayedEntry;
    i = smallest;
  }
  heap[i] = last;
  return top;
}
