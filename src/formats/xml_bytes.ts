/** Reading XML bytes as text: by BOM, then the XML declaration's encoding, else UTF-8. */

function labelFromDeclaration(bytes: Uint8Array): string {
  const head = String.fromCharCode(...bytes.subarray(0, 200));
  return /^<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._:-]+)["']/.exec(head)?.[1] ?? "utf-8";
}

/** Feed text and the encoding it was read with (WHATWG name, e.g. `utf-8`). */
export interface DecodedXml {
  readonly text: string;
  readonly encoding: string;
  /** The bytes began with a byte order mark (not part of `text`). */
  readonly bom: boolean;
}

/** Decodes feed bytes by BOM, then the XML declaration's encoding, else UTF-8. */
export function decodeXmlBytes(bytes: Uint8Array): DecodedXml {
  let label: string;
  let bom = true;
  if (bytes[0] === 0xff && bytes[1] === 0xfe) label = "utf-16le";
  else if (bytes[0] === 0xfe && bytes[1] === 0xff) label = "utf-16be";
  else if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) label = "utf-8";
  else [label, bom] = [labelFromDeclaration(bytes), false];
  let decoder: TextDecoder;
  try {
    decoder = new TextDecoder(label);
  } catch {
    decoder = new TextDecoder();
  }
  return { text: decoder.decode(bytes), encoding: decoder.encoding, bom };
}
