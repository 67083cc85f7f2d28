// The Tencent Cloud APIs one emulator server answers, told apart by X-TC-Version as the real
// endpoints are told apart by host: Batch, SCF (the deploy tool's functions and triggers) and
// TDMQ (its CMQ topics and subscriptions).
import type { EmulatorModule } from "./context";
import { envModule } from "./envs";
import { jobModule } from "./jobs/module";
import { scfModule } from "./scf/module";
import { tdmqModule } from "./tdmq/module";

const MiB = 1024 * 1024;
/**
 * API 3.0 takes a POST body of at most 10 MB with TC3-HMAC-SHA256 (Tencent's "Request Structure"
 * pages: GET 32 KB, POST 1 MB with HmacSHA1/HmacSHA256, 10 MB with TC3); over it the answer is the
 * common code `RequestSizeLimitExceeded` (../shared/tencent-api-reference.md §1.6). Whether 10 MB
 * means 10^7 bytes or 10 MiB is not said: the emulator takes 10 MiB.
 */
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

/**
 * The regions the emulator serves (X-TC-Region), for every API above. EMULATOR ASSUMPTION: Batch
 * publishes no region list of its own in the reference (its API pages link "the product's region
 * list"); these are the public-cloud regions Tencent's API 3.0 "Request Structure" pages name
 * endpoints for (`<service>.<region>.tencentcloudapi.com`), and the finance regions. Any other
 * region (`ap-mars`) is answered `UnsupportedRegion`, the common API 3.0 code for a region the API
 * does not serve (reference §1.6). The emulator's own default region is always served.
 */
export const SERVED_REGIONS: readonly string[] = [
  "ap-guangzhou",
  "ap-shanghai",
  "ap-nanjing",
  "ap-beijing",
  "ap-chengdu",
  "ap-chongqing",
  "ap-hongkong",
  "ap-singapore",
  "ap-jakarta",
  "ap-bangkok",
  "ap-mumbai",
  "ap-seoul",
  "ap-tokyo",
  "na-siliconvalley",
  "na-ashburn",
  "na-toronto",
  "sa-saopaulo",
  "eu-frankfurt",
  "eu-moscow",
  "ap-shanghai-fsi",
  "ap-shenzhen-fsi",
  "ap-beijing-fsi",
];
