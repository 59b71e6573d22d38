/**
 * What the fixture feed origin serves to the browser tests on top of its own routes: a
 * podcast feed whose episodes enclose a real, short audio file (so a player can load, play
 * and seek it), with a cover image. All on 127.0.0.1.
 */

/** Length of the fixture audio, in seconds. */
export const AUDIO_SECONDS = 20;
/** Path of the podcast feed on the fixture origin. */
export const FEED_PATH = "/browser/feed.xml";
/** Path of the audio file (episodes add `?ep=<n>` so their URLs differ). */
export const AUDIO_PATH = "/browser/audio.wav";
/** Path of the cover image. */
export const COVER_PATH = "/browser/cover.svg";
/** Title of the fixture podcast. */
export const PODCAST_TITLE = "Browser Test Radio";
/** Titles of its episodes, newest first. */
export const EPISODE_TITLES = ["Episode three: seeking", "Episode two: pausing", "Episode one"];

/** A silent mono 16-bit PCM WAV file of `seconds` at 8 kHz. */
export function silentWav(seconds: number): Uint8Array<ArrayBuffer> {
  const rate = 8000;
  const dataBytes = seconds * rate * 2;
  const bytes = new Uint8Array(44 + dataBytes);
  const view = new DataView(bytes.buffer);
  const ascii = (at: number, text: string) => {
    for (let i = 0; i < text.length; i++) bytes[at + i] = text.charCodeAt(i);
  };
  ascii(0, "RIFF");
  view.setUint32(4, 36 + dataBytes, true);
  ascii(8, "WAVE");
  ascii(12, "fmt ");
  view.setUint32(16, 16, true); // fmt chunk size
  view.setUint16(20, 1, true); // PCM
  view.setUint16(22, 1, true); // mono
  view.setUint32(24, rate, true);
  view.setUint32(28, rate * 2, true); // bytes per second
  view.setUint16(32, 2, true); // block align
  view.setUint16(34, 16, true); // bits per sample
  ascii(36, "data");
  view.setUint32(40, dataBytes, true);
  return bytes; // Samples are already 0: silence.
}

/**
 * Serves `body` honouring a single `Range: bytes=a-b` header (206 with Content-Range), as
 * media servers do: a browser only seeks in HTTP audio when ranges are accepted.
 */
export function rangeResponse(req: Request, body: Uint8Array<ArrayBuffer>, type: string): Response {
  const headers: Record<string, string> = { "content-type": type, "accept-ranges": "bytes" };
  const m = /^bytes=(\d*)-(\d*)$/.exec(req.headers.get("range") ?? "");
  if (!m || (m[1] === "" && m[2] === "")) {
    return new Response(req.method === "HEAD" ? null : body, { headers });
  }
  const size = body.byteLength;
  const start = m[1] === "" ? Math.max(0, size - Number(m[2])) : Number(m[1]);
  const end = m[1] === "" || m[2] === "" ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (start >= size || start > end) {
    return new Response(null, { status: 416, headers: { "content-range": `bytes */${size}` } });
  }
  headers["content-range"] = `bytes ${start}-${end}/${size}`;
  const part = body.slice(start, end + 1);
  return new Response(req.method === "HEAD" ? null : part, { status: 206, headers });
}

const COVER_SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64">` +
  `<rect width="64" height="64" fill="#1d6b3c"/><circle cx="32" cy="32" r="14" fill="#fff"/></svg>`;

/** The fixture podcast's RSS, its enclosures and cover on `origin`. */
export function browserFeed(origin: string): string {
  const items = EPISODE_TITLES.map((title, i) => {
    const n = EPISODE_TITLES.length - i;
    const day = String(10 + n).padStart(2, "0");
    return `<item><guid isPermaLink="false">browser-ep-${n}</guid><title>${title}</title>` +
      `<pubDate>${day} Jan 2026 08:00:00 GMT</pubDate>` +
      `<itunes:duration>0:${AUDIO_SECONDS}</itunes:duration>` +
      `<description>Twenty seconds of silence, number ${n}.</description>` +
      `<enclosure url="${origin}${AUDIO_PATH}?ep=${n}" length="${44 + AUDIO_SECONDS * 16000}"` +
      ` type="audio/wav"/></item>`;
  }).join("\n");
  return `<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd">
<channel><title>${PODCAST_TITLE}</title><link>${origin}/</link>
<description>A podcast made for the browser tests.</description>
<itunes:author>The Test Team</itunes:author>
<itunes:image href="${origin}${COVER_PATH}"/>
${items}
</channel></rss>
`;
}

/** The extra routes of the fixture origin (see `startFeedServer`'s `routes`). */
export function browserRoutes(): Record<string, (req: Request) => Response> {
  const wav = silentWav(AUDIO_SECONDS);
  return {
    [FEED_PATH]: (req) =>
      new Response(browserFeed(new URL(req.url).origin), {
        headers: { "content-type": "application/rss+xml; charset=utf-8" },
      }),
    [AUDIO_PATH]: (req) => rangeResponse(req, wav, "audio/wav"),
    [COVER_PATH]: () => new Response(COVER_SVG, { headers: { "content-type": "image/svg+xml" } }),
  };
}
