// Reading JUnit XML with xml2js, shared by the reader and the structural check.
import xml2js from 'xml2js';

export type XmlNode = Record<string, unknown>;
type Node = XmlNode;

/** Parser settings shared with the structural check: every child is an array, text is `_`. */
export const PARSER_OPTIONS = {
  explicitArray: true,
  explicitCharkey: true,
  trim: false,
  normalize: false,
} as const;

export async function parseXml(xml: string): Promise<Node> {
  return (await new xml2js.Parser(PARSER_OPTIONS).parseStringPromise(xml)) as Node;
}

export function children(node: unknown, name: string): Node[] {
  if (node === null || typeof node !== 'object') return [];
  const v = (node as Node)[name];
  if (!Array.isArray(v)) return [];
  // An empty element parses as '' rather than an object.
  return v.map((c: unknown) => (c !== null && typeof c === 'object' ? (c as Node) : { _: String(c) }));
}

export function attr(node: Node, name: string): string | undefined {
  const attrs = node['$'];
  if (attrs === null || typeof attrs !== 'object') return undefined;
  const v = (attrs as Record<string, unknown>)[name];
  return typeof v === 'string' ? v : undefined;
}

