import { dcmjs } from "./dcmjs-runtime.js";

/** What an ambiguous dictionary VR resolves to depends on attributes read earlier at the same level. */
export interface VrContext {
  /** (0028,0103): 1 means signed, so "US or SS" is SS. */
  pixelRepresentation?: number;
  /** (0028,0100): 8 or fewer bits means native Pixel Data is OB in Explicit VR (PS3.5 §A.2). */
  bitsAllocated?: number;
}

const cache = new Map<number, string>();

function dictionaryVr(tag: number): string {
  const cached = cache.get(tag);
  if (cached !== undefined) return cached;
  const entry = dcmjs.data.DicomMetaDictionary.dictionary[tag.toString(16).toUpperCase().padStart(8, "0")];
  const vr = entry?.vr ?? "UN";
  cache.set(tag, vr);
  return vr;
}

/**
 * The VR an Implicit VR element has when written in Explicit VR (PS3.5 §6.2.2, §7.8.1, Annex A.1).
 * Group lengths are UL, private creators LO, other private and unknown elements UN.
 */
export function implicitVr(tag: number, ctx: VrContext): string {
  const group = tag >>> 16;
  const element = tag & 0xffff;
  if (element === 0x0000) return "UL";
  if (group % 2 === 1) return element >= 0x0010 && element <= 0x00ff ? "LO" : "UN";
  const vr = dictionaryVr(tag);
  switch (vr) {
    case "xs": // US or SS
      return ctx.pixelRepresentation === 1 ? "SS" : "US";
    case "ox": // OB or OW: OW is always valid in Implicit VR; OB for 8-bit native pixel data, as most writers do
      return tag === 0x7fe00010 && ctx.bitsAllocated !== undefined && ctx.bitsAllocated <= 8 ? "OB" : "OW";
    case "lt": // US or SS or OW (LUT data)
      return "OW";
    case "up": // unsigned pointer (DICOMDIR offsets)
      return "UL";
    case "na":
      return "UN";
    default:
      return vr;
  }
}
