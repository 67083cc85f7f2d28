// Node images (batch-facts §1): Batch initialises nodes with cloud-init, so an image without it
// fails. The guide names three images known to ship it; others are allowed with a warning.
import * as z from "../zod";

export const IMAGE_ID = /^img-[a-z0-9]{8}$/;

/** Images known to ship cloud-init. */
export const CLOUD_INIT_IMAGES: Readonly<Record<string, string>> = {
  "img-31tjrtph": "CentOS 7.2 64-bit",
  "img-er9shcln": "Windows Server 2012 R2 Standard 64-bit (Chinese)",
  "img-pyqx34y1": "Ubuntu Server 16.04.1 LTS 64-bit",
};

/** `img-31tjrtph (CentOS 7.2 64-bit), …`: what an error or a warning offers instead. */
export const KNOWN_IMAGES = Object.entries(CLOUD_INIT_IMAGES)
  .map(([id, name]) => `${id} (${name})`)
  .join(", ");

export const IMAGE_ID_RULE = `an image id looks like img-xxxxxxxx; images known to ship cloud-init: ${KNOWN_IMAGES}`;

export const ImageIdSchema = z.string().check(z.regex(IMAGE_ID, { message: IMAGE_ID_RULE }));

/** The warning for a well-formed image that is not known to ship cloud-init; undefined for a known one. */
export function unknownImageWarning(imageId: string, consequence: string): string | undefined {
  return CLOUD_INIT_IMAGES[imageId] ? undefined : `${imageId} is not a known cloud-init image (known: ${KNOWN_IMAGES}); ${consequence}`;
}
