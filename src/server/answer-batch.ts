/**
 * Answers written in one burst per event-loop turn. A response written the
 * moment it is ready wakes the client's side of the connection for each one;
 * on loopback, with client and server each on a core of a 2-core machine, the
 * kernel's share of such a write (the receiver's wake-up included) measured
 * ~25 µs, against ~9 µs when the writes of a turn go out back to back — the
 * pattern a worker's batch of results happens to give. So an answer computed
 * synchronously (on the main thread) is handed back once the turn's I/O is
 * read: all of them, in order, in one setImmediate. Figures: README, performance.
 */
let due: (() => void)[] = [];

function flush(): void {
  const ready = due;
  due = [];
  for (const settle of ready) settle();
}

/** `value`, delivered at the end of this event-loop turn together with every other answer of the turn. */
export function inBatch<T>(value: T): Promise<T> {
  return new Promise((resolve) => {
    if (due.push(() => resolve(value)) === 1) setImmediate(flush);
  });
}
