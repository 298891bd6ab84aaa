/**
 * DA / TM / DT values compared by meaning, as PS3.4 C.2.2.2.5 asks ("2230" is the same time as "223000"), not as
 * strings (Orthanc's way, which misses a bound given with less precision). Each value becomes a fixed-width key
 * whose string order is the time order; an unparsable value gives undefined.
 */

/** PS3.5 §6.2 TM: HH[MM[SS[.F{1,6}]]], and the ACR-NEMA "HH:MM:SS" form still sent by old devices. */
const TM = /^(\d{2})(?:(\d{2})(?:(\d{2})(?:\.(\d{1,6}))?)?)?$/;
/** PS3.5 §6.2 DA: YYYYMMDD, and the ACR-NEMA "YYYY.MM.DD" form. */
const DA = /^\d{8}$/;
/** PS3.5 §6.2 DT: YYYY[MM[DD[HH[MM[SS[.F{1,6}]]]]]][&ZZXX]. */
const DT = /^(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?(?:\.(\d{1,6}))?([+-]\d{4})?$/;

/** "HHMMSS.FFFFFF", missing parts as zeros. */
export function timeKey(value: string): string | undefined {
  const m = TM.exec(value.trim().replaceAll(":", ""));
  if (m === null) return undefined;
  const [, hh, mm = "00", ss = "00", frac = ""] = m;
  if (Number(hh) > 23 || Number(mm) > 59 || Number(ss) > 60) return undefined;
  return `${hh}${mm}${ss}.${frac.padEnd(6, "0")}`;
}

/** "YYYYMMDD". */
export function dateKey(value: string): string | undefined {
  const v = value.trim().replaceAll(".", "");
  return DA.test(v) ? v : undefined;
}

/**
 * "YYYYMMDDHHMMSS.FFFFFF" in UTC when the value carries an offset (PS3.4 C.2.2.2.5: the offset is taken into
 * account), missing month/day as 01 and missing time parts as zeros.
 */
export function dateTimeKey(value: string): string | undefined {
  const m = DT.exec(value.trim());
  if (m === null) return undefined;
  const [, y, mo = "01", d = "01", h = "00", mi = "00", s = "00", frac = "", offset] = m;
  const local = `${y}${mo}${d}${h}${mi}${s}.${frac.padEnd(6, "0")}`;
  if (offset === undefined) return local;
  const sign = offset.startsWith("-") ? -1 : 1;
  const minutes = sign * (Number(offset.slice(1, 3)) * 60 + Number(offset.slice(3, 5)));
  const utc = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi) - minutes, Number(s)));
  if (Number.isNaN(utc.getTime())) return undefined;
  const p = (n: number, w = 2) => String(n).padStart(w, "0");
  return `${p(utc.getUTCFullYear(), 4)}${p(utc.getUTCMonth() + 1)}${p(utc.getUTCDate())}${p(utc.getUTCHours())}${p(utc.getUTCMinutes())}${p(utc.getUTCSeconds())}.${frac.padEnd(6, "0")}`;
}

export const TEMPORAL_VRS = { DA: dateKey, TM: timeKey, DT: dateTimeKey } as const;
export type TemporalVr = keyof typeof TEMPORAL_VRS;

export function isTemporalVr(vr: string): vr is TemporalVr {
  return vr === "DA" || vr === "TM" || vr === "DT";
}

/**
 * Splits a range "A-B", "-B" or "A-" (PS3.4 C.2.2.2.5). For DT a '-' may also start a UTC offset, so each '-' is
 * tried and the split whose two sides both parse wins. Undefined when the value is not a range.
 */
export function splitRange(vr: TemporalVr, value: string): { low: string | undefined; high: string | undefined } | undefined {
  const key = TEMPORAL_VRS[vr];
  for (let i = value.indexOf("-"); i !== -1; i = value.indexOf("-", i + 1)) {
    const a = value.slice(0, i).trim();
    const b = value.slice(i + 1).trim();
    if (a === "" && b === "") continue;
    const low = a === "" ? undefined : key(a);
    const high = b === "" ? undefined : key(b);
    if ((a === "" || low !== undefined) && (b === "" || high !== undefined)) return { low, high };
  }
  return undefined;
}
