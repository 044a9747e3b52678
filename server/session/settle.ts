/** Waits for the tasks to settle, or `ms`, whichever comes first (never rejects). */
export async function settleWithin(tasks: readonly Promise<unknown>[], ms: number): Promise<void> {
  if (tasks.length === 0) return;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    Promise.allSettled(tasks),
    new Promise<void>((resolve) => (timer = setTimeout(resolve, ms))),
  ]);
  clearTimeout(timer);
}
