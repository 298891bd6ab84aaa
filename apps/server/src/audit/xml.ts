/** The few XML primitives the audit messages need: escaped attributes and text, elements on one line. */

export type AttrValue = string | number | boolean | undefined;

/** XML 1.0 §2.4/§3.3.3: `&`, `<`, `>` and `"` escaped; tab, CR and LF as references so a message stays one line. */
export function escapeXml(s: string): string {
  return s.replace(/[&<>"\t\n\r]/g, (c) => ENTITIES[c] ?? c).replace(INVALID_XML_CHARS, "\uFFFD");
}

const ENTITIES: Readonly<Record<string, string>> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "\t": "&#9;", "\n": "&#10;", "\r": "&#13;" };
/** XML 1.0 §2.2: control characters other than tab, CR, LF are not allowed at all (a peer's certificate may hold them). */
// eslint-disable-next-line no-control-regex
const INVALID_XML_CHARS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g;

/** ` name="value"` for each defined attribute, in the given order. */
export function attributes(attrs: Readonly<Record<string, AttrValue>>): string {
  let out = "";
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined) continue;
    out += ` ${name}="${escapeXml(String(value))}"`;
  }
  return out;
}

/** `<name attrs/>` or `<name attrs>children</name>`; children are already XML. */
export function element(name: string, attrs: Readonly<Record<string, AttrValue>> = {}, children: readonly string[] = []): string {
  const open = `<${name}${attributes(attrs)}`;
  return children.length === 0 ? `${open}/>` : `${open}>${children.join("")}</${name}>`;
}

/** `<name>text</name>` with the text escaped. */
export function textElement(name: string, text: string): string {
  return `<${name}>${escapeXml(text)}</${name}>`;
}
