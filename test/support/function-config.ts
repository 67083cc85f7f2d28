// A FunctionConfig (what local/stack/serverless-config.ts makes of a serverless.yml function) for
// tests that run a bundle in the local stack's function processes without a serverless.yml.
import type { FunctionConfig } from "../../local/stack/serverless-config";

/** `name`'s config running `entryFile` (a CommonJS bundle exporting main_handler), with `over` on top. */
export function testFunctionConfig(name: string, entryFile: string, over: Partial<FunctionConfig> = {}): FunctionConfig {
  return {
    name,
    scfName: `svc-test-${name}`,
    handler: "index.main_handler",
    description: "",
    role: undefined,
    url: true,
    entryFile,
    handlerExport: "main_handler",
    artifact: `${entryFile}.zip`,
    runtime: "Nodejs18.15",
    memorySize: 256,
    timeout: 30,
    environment: {},
    triggers: [],
    line: 1,
    ...over,
  };
}
