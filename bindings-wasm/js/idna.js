// UTS 46 ToASCII for the core's identity checks, done by the platform's own
// WHATWG URL parser (every browser and Node has one) instead of Unicode
// tables inside the wasm. Returns the A-label form, or undefined when the
// text is not a domain name. Characters that would make the URL parser read
// something other than a host (userinfo, port, path, escapes) are refused
// before it runs; the core then checks the result's syntax.
export function domainToAscii(domain) {
  if (domain.length === 0 || /[\s/\\?#@:%[\]]/u.test(domain)) return undefined;
  try {
    return new URL(`http://${domain}/`).hostname;
  } catch {
    return undefined;
  }
}
