/**
 * @module server/transport/proxy
 * `TRUST_PROXY` (SPEC §16): which peers are reverse proxies whose `X-Forwarded-For`,
 * `X-Forwarded-Proto` and `X-Forwarded-Host` headers are believed. A request from any other
 * peer is taken at face value: its socket address is the client's, and the headers are ignored,
 * so a client cannot spoof its address or pass an origin check by sending them itself.
 * Pure functions (no Bun, no I/O), so they are tested on their own.
 */
import { BlockList, isIP } from "node:net";

/** `loopback`, an IPv4/IPv6 address, or a CIDR such as `10.0.0.0/8` or `fd00::/8`. */
export function isTrustProxyEntry(entry: string): boolean {
  if (entry === "false" || entry === "loopback") return true;
  const [address = "", bits, ...rest] = entry.split("/");
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  if (bits === undefined) return true;
  if (!/^\d{1,3}$/.test(bits)) return false;
  return Number(bits) <= (family === 4 ? 32 : 128);
}

export interface ProxyTrust {
  trusts(address: string): boolean;
}

/** IPv4 peers of a dual-stack socket arrive as `::ffff:1.2.3.4`. */
function plainAddress(address: string): string {
  return address.startsWith("::ffff:") && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
}

/** The trusted proxies, or undefined when none are (the default: `false` or an empty list). */
export function createProxyTrust(entries: readonly string[] = []): ProxyTrust | undefined {
  const list = entries.filter((e) => e !== "false");
  if (list.length === 0) return undefined;
  const block = new BlockList();
  for (const entry of list) {
    if (entry === "loopback") {
      block.addSubnet("127.0.0.0", 8, "ipv4");
      block.addAddress("::1", "ipv6");
      continue;
    }
    const [address = "", bits] = entry.split("/");
    const type = isIP(address) === 4 ? "ipv4" : "ipv6";
    if (bits === undefined) block.addAddress(address, type);
    else block.addSubnet(address, Number(bits), type);
  }
  return {
    trusts(address) {
      const plain = plainAddress(address);
      const family = isIP(plain);
      return family !== 0 && block.check(plain, family === 4 ? "ipv4" : "ipv6");
    },
  };
}

/** What the server believes about a request's client. */
export interface ClientView {
  /** The client's address: the socket's peer, or the nearest untrusted hop of `X-Forwarded-For`. */
  address: string;
  /** `host[:port]` the client asked for (`X-Forwarded-Host` from a trusted proxy, else `Host`). */
  host: string | null;
  /** `http`/`https` as the client used it, when a trusted proxy said so (`X-Forwarded-Proto`). */
  proto?: string;
}

function firstValue(header: string | null): string | undefined {
  const value = header?.split(",")[0]?.trim();
  return value ? value : undefined;
}

/**
 * The client behind `peer`. With a trusted peer, `X-Forwarded-For` is read from the right (the
 * hop the proxy appended) and trusted hops are skipped, so the first untrusted address is the
 * client; a forged entry on the left of the list is never reached while a real hop precedes it.
 */
export function clientView(req: Request, peer: string, trust: ProxyTrust | undefined): ClientView {
  const host = req.headers.get("host");
  if (!trust || !trust.trusts(peer)) return { address: peer, host };
  const hops = (req.headers.get("x-forwarded-for") ?? "").split(",").map((h) => h.trim()).filter((h) => isIP(plainAddress(h)) !== 0);
  let address = peer;
  for (let i = hops.length - 1; i >= 0; i--) {
    address = plainAddress(hops[i]!);
    if (!trust.trusts(address)) break;
  }
  const proto = firstValue(req.headers.get("x-forwarded-proto"))?.toLowerCase();
  return { address, host: firstValue(req.headers.get("x-forwarded-host")) ?? host, proto: proto === "http" || proto === "https" ? proto : undefined };
}

/**
 * Whether `origin` is the origin the client reached this server at. The scheme is compared only
 * when a trusted proxy stated it (`X-Forwarded-Proto`): behind a TLS-terminating proxy the
 * browser's origin is `https://…` while the proxy talks plain HTTP to us.
 */
export function isSameOrigin(origin: string | null, view: ClientView): boolean {
  if (origin === null || !URL.canParse(origin)) return false;
  const url = new URL(origin);
  if (view.proto && url.protocol !== `${view.proto}:`) return false;
  return url.host === view.host;
}
