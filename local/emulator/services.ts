// The Tencent Cloud APIs one emulator server answers, told apart by X-TC-Version as the real
// endpoints are told apart by host: Batch, SCF (the deploy tool's functions and triggers) and
// TDMQ (its CMQ topics and subscriptions).
import type { EmulatorModule } from "./context";
import { envModule } from "./envs";
import { jobModule } from "./jobs/module";
import { scfModule } from "./scf/module";
import { tdmqModule } from "./tdmq/module";

const MiB = 1024 * 1024;
export const MAX_BODY_BYTES = 10 * MiB;
/** Room for a base64 Code.ZipFile above SCF's 50 MB inline limit, so an oversize zip meets InvalidParameterValue.ZipFile. */
export const SCF_MAX_BODY_BYTES = 100 * MiB;

export interface ApiService {
  /** The credential scope's service name (TC3 accepts it, or the endpoint's first label). */
  service: string;
  version: string;
  modules: EmulatorModule[];
  maxBodyBytes: number;
  /** TDMQ's CMQ actions document Region as not required: without X-TC-Region they use the default region. */
  regionRequired: boolean;
}

export const SERVICES: readonly ApiService[] = [
  { service: "batch", version: "2017-03-12", modules: [envModule, jobModule], maxBodyBytes: MAX_BODY_BYTES, regionRequired: true },
  { service: "scf", version: "2018-04-16", modules: [scfModule], maxBodyBytes: SCF_MAX_BODY_BYTES, regionRequired: true },
  { service: "tdmq", version: "2020-02-17", modules: [tdmqModule], maxBodyBytes: MAX_BODY_BYTES, regionRequired: false },
];
