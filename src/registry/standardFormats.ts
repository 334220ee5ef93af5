import net from "node:net";
import type { Ajv } from "ajv";

// Written by hand because ajv-formats is not a dependency: module authors' configSchemas use these
// draft-07 formats, and ajv in strict mode rejects a schema naming an unknown format.

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const TIME = /^([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)(\.\d+)?(z|[+-]([01]\d|2[0-3]):[0-5]\d)?$/i;
const HOSTNAME =
  /^(?=.{1,253}\.?$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[-0-9a-z]{0,61}[0-9a-z])?)*\.?$/i;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const JSON_POINTER = /^(?:\/(?:[^~/]|~[01])*)*$/;
const RELATIVE_JSON_POINTER = /^\d+(?:#|(?:\/(?:[^~/]|~[01])*)*)$/;
const UUID = /^(?:urn:uuid:)?[0-9a-f]{8}-(?:[0-9a-f]{4}-){3}[0-9a-f]{12}$/i;
const DURATION = /^P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$/;

function isDate(s: string): boolean {
  const m = DATE.exec(s);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(y, mo - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === mo - 1 && date.getUTCDate() === d;
}

function isDateTime(s: string): boolean {
  const parts = s.split(/t|\s/i);
  return parts.length === 2 && isDate(parts[0] as string) && TIME.test(parts[1] as string);
}

function isRegex(s: string): boolean {
  try {
    new RegExp(s, "u");
    return true;
  } catch {
    return false;
  }
}

const isUri = (s: string): boolean => /^[a-z][a-z0-9+.-]*:/i.test(s) && URL.canParse(s);
const isUriReference = (s: string): boolean => URL.canParse(s, "http://base.invalid/");

/** Registers the JSON Schema draft-07 string formats (plus `uuid`, `url`, `duration`) on `ajv`. */
export function addStandardFormats(ajv: Ajv): Ajv {
  const formats: Record<string, (s: string) => boolean> = {
    date: isDate,
    time: (s) => TIME.test(s),
    "date-time": isDateTime,
    email: (s) => EMAIL.test(s),
    "idn-email": (s) => EMAIL.test(s),
    hostname: (s) => HOSTNAME.test(s),
    "idn-hostname": (s) => s.length > 0 && !/\s/.test(s),
    ipv4: (s) => net.isIPv4(s),
    ipv6: (s) => net.isIPv6(s),
    uri: isUri,
    url: isUri,
    iri: isUri,
    "uri-reference": isUriReference,
    "iri-reference": isUriReference,
    "uri-template": () => true,
    "json-pointer": (s) => JSON_POINTER.test(s),
    "relative-json-pointer": (s) => RELATIVE_JSON_POINTER.test(s),
    regex: isRegex,
    uuid: (s) => UUID.test(s),
    duration: (s) => DURATION.test(s),
  };
  for (const [name, validate] of Object.entries(formats)) ajv.addFormat(name, validate);
  return ajv;
}
