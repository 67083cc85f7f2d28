// A lazy entry that also imports, beside it, a module its deferred code imports: the build refuses
// it (two instances of shared/log.ts). Used by test/build/bundle.test.ts.
import { createLogger } from "../../../shared/log";

export const main_handler = async () => {
  createLogger();
  return (await import("./entry")).answer();
};
