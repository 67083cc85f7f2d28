// SCF entry (`index.main_handler`). Loading this module defines one function and nothing
// else: esbuild turns the dynamic import into a lazily evaluated module, so the function's code
// (zod schemas, the Batch client) is evaluated on the first event of a container, not at load.
import type { main_handler as Entry } from "./entry";

let entry: Promise<{ main_handler: typeof Entry }> | undefined;

export const main_handler: typeof Entry = async (event, context) => {
  entry ??= import("./entry");
  return (await entry).main_handler(event, context);
};
