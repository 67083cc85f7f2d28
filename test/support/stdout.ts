// What a function logs while `fn` runs: the loggers write JSON lines to stdout.

/** Runs `fn` with stdout captured; its result (or what it threw) comes back with the log. */
export async function logged<T>(fn: () => Promise<T>): Promise<{ result: T | undefined; error: unknown; log: string }> {
  const lines: string[] = [];
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string) => {
    lines.push(String(chunk));
    return true;
  }) as typeof process.stdout.write;
  try {
    return { result: await fn(), error: undefined, log: lines.join("") };
  } catch (error) {
    return { result: undefined, error, log: lines.join("") };
  } finally {
    process.stdout.write = write;
  }
}
