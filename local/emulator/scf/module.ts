// The SCF 2018-04-16 control plane a deploy tool uses, plus test routes:
//   POST /_emulator/scf/fail-next  the next create/update of a function ends in *Failed (one-shot)
//   GET  /_emulator/scf/functions  every function, flat, with its code's sha256
import { z } from "zod";
// the same English messages as the functions' schemas (classic zod would word them its own way)
import "../../../shared/zod";
import { ApiError, type EmulatorModule, type TestRoute } from "../context";
import { functionActions } from "./functions";
import { settle } from "./lifecycle";
import { listFunctions } from "./list-functions";
import { triggerActions } from "./triggers";
import { adminView } from "./views";

const FailNextSchema = z.object({
  FunctionName: z.string().min(1),
  Namespace: z.string().min(1).default("default"),
  /** Default: the emulator's default region. */
  Region: z.string().min(1).optional(),
  Phase: z.enum(["create", "update"]),
  ErrorCode: z.string().min(1).default("InternalError"),
  ErrorMessage: z.string().default("The emulator was told to fail this change (POST /_emulator/scf/fail-next)."),
});

const testRoutes: TestRoute[] = [
  {
    method: "POST",
    path: "/scf/fail-next",
    handle(ctx, _params, body) {
      const r = FailNextSchema.safeParse(body ?? {});
      if (!r.success) throw new ApiError("InvalidParameter", r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "));
      const { FunctionName, Namespace, Region, Phase, ErrorCode, ErrorMessage } = r.data;
      const hook = { region: Region ?? ctx.region, namespace: Namespace, name: FunctionName, phase: Phase, failure: { ErrorCode, ErrorMessage } };
      ctx.store.put("scfFailNext", hook);
      return hook;
    },
  },
  {
    method: "GET",
    path: "/scf/functions",
    handle: (ctx) => [...ctx.store.keyed.scfFunction.values()].map((fn) => adminView(settle(ctx, fn))),
  },
];

export const scfModule: EmulatorModule = {
  actions: { ...functionActions, ListFunctions: listFunctions, ...triggerActions },
  testRoutes,
};
