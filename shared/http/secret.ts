// Comparing a presented secret (an API key, a push token) with a configured one in constant time:
// both are hashed first, so the comparison takes the same time whatever their lengths.
import { createHash, timingSafeEqual } from "node:crypto";

export const secretDigest = (s: string): Buffer => createHash("sha256").update(s, "utf8").digest();

/** Whether `presented` is the secret whose digest is `digest`, in constant time. */
export const matchesSecret = (presented: string, digest: Buffer): boolean => timingSafeEqual(secretDigest(presented), digest);
