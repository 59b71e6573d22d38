/**
 * RFC 3339 times in `toISOString()` form (`2024-01-15T10:30:00.000Z`, years 0000–9999) to
 * milliseconds and back, by arithmetic: several times faster than `Date` in V8, which
 * matters when every read of a stored play status formats its time. Pure.
 */

const DAY_MS = 86_400_000;
const P2 = Array.from({ length: 100 }, (_, i) => String(i).padStart(2, "0"));
const P3 = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, "0"));
/** The earliest and latest instants with a four-digit year. */
const MIN_MS = -62_167_219_200_000;
const MAX_MS = 253_402_300_799_999;

/** Days since 1970-01-01 of a proleptic Gregorian date (month 1–12). */
function daysFromCivil(y: number, m: number, d: number): number {
  y -= m <= 2 ? 1 : 0;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m > 2 ? m - 3 : m + 9) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

/**
 * `new Date(ms).toISOString()` for a time with a four-digit year.
 * @example isoOfMs(0) // "1970-01-01T00:00:00.000Z"
 */
export function isoOfMs(ms: number): string {
  if (!(ms >= MIN_MS && ms <= MAX_MS) || !Number.isInteger(ms)) return new Date(ms).toISOString();
  const days = Math.floor(ms / DAY_MS);
  let rest = ms - days * DAY_MS;
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  const y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  const milli = rest % 1000;
  rest = (rest - milli) / 1000;
  const s = rest % 60;
  rest = (rest - s) / 60;
  const mi = rest % 60;
  const h = (rest - mi) / 60;
  return `${P2[Math.floor(y / 100)]}${P2[y % 100]}-${P2[m]}-${P2[d]}T${P2[h]}:${P2[mi]}:${P2[s]}.${
    P3[milli]
  }Z`;
}

function digits(s: string, from: number, n: number): number {
  let v = 0;
  for (let i = from; i < from + n; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return NaN;
    v = v * 10 + c;
  }
  return v;
}

/**
 * The milliseconds of a time written exactly as `toISOString()` writes it, else NaN (so
 * that `isoOfMs(msOfIso(s)) === s` whenever the result is a number).
 * @example msOfIso("1970-01-01T00:00:01.000Z") // 1000
 */
export function msOfIso(s: string): number {
  if (
    s.length !== 24 || s[4] !== "-" || s[7] !== "-" || s[10] !== "T" || s[13] !== ":" ||
    s[16] !== ":" || s[19] !== "." || s[23] !== "Z"
  ) return NaN;
  const y = digits(s, 0, 4), m = digits(s, 5, 2), d = digits(s, 8, 2);
  const h = digits(s, 11, 2), mi = digits(s, 14, 2), sec = digits(s, 17, 2);
  const milli = digits(s, 20, 3);
  const inRange = y >= 0 && m >= 1 && m <= 12 && d >= 1 && d <= 31 && h <= 23 && mi <= 59 &&
    sec <= 59 && milli >= 0;
  if (!inRange) return NaN;
  const ms = daysFromCivil(y, m, d) * DAY_MS + ((h * 60 + mi) * 60 + sec) * 1000 + milli;
  // A day past the month's end (02-30) would roll over: refused by the round trip.
  return isoOfMs(ms) === s ? ms : NaN;
}
